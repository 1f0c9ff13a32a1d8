"""The report agent's templates: every printed figure is the computation's, per category, with events."""
from __future__ import annotations

import copy

import pytest

from shared.agents.pipeline.events import Emitter, RunCancelled
from shared.agents.report import formatting as fmt
from shared.agents.report.agent import report

RANGE = {"start": "2026-10-01T00:00:00", "end": "2026-10-31T00:00:00"}


def triage_dict(category: str = "cost_optimization", sufficiency: str = "sufficient", **entities) -> dict:
    return {
        "category": category, "intent": "find_savings", "confidence": 0.9, "reasons": ["test"],
        "entities": {"models": [], "providers": [], "features": [], "time_range": RANGE,
                     "budget_usd": None, "percentage": None, **entities},
        "data_sufficiency": sufficiency, "next_agents": ["data", "optimization", "report"],
        "time_range_source": "message",
    }


DATA = {
    "range": RANGE,
    "totals": {"requests": 1200, "cost_usd": 812.3456, "prompt_tokens": 1_000_000, "completion_tokens": 200_000,
               "cached_tokens": 0, "errors": 12, "error_rate": 0.01, "unpriced_requests": 0},
    "by_model": [
        {"model": "gpt-4o", "provider": "openai", "requests": 600, "cost_usd": 600.0,
         "prompt_tokens": 600_000, "completion_tokens": 100_000, "share": 0.7386},
        {"model": "claude-3-5-haiku-20241022", "provider": "anthropic", "requests": 500, "cost_usd": 200.0,
         "prompt_tokens": 300_000, "completion_tokens": 90_000, "share": 0.2462},
        {"model": "gpt-4o-mini", "provider": "openai", "requests": 100, "cost_usd": 12.3456,
         "prompt_tokens": 100_000, "completion_tokens": 10_000, "share": 0.0152},
    ],
    "by_provider": [{"provider": "openai", "requests": 700, "cost_usd": 612.3456},
                    {"provider": "anthropic", "requests": 500, "cost_usd": 200.0}],
    "by_feature": [{"feature": "chat", "requests": 1000, "cost_usd": 700.0},
                   {"feature": "classify", "requests": 200, "cost_usd": 112.3456}],
    "by_day": [{"day": "2026-10-01", "requests": 500, "cost_usd": 300.0},
               {"day": "2026-10-02", "requests": 300, "cost_usd": 212.3456},
               {"day": "2026-10-03", "requests": 200, "cost_usd": 100.0},
               {"day": "2026-10-04", "requests": 200, "cost_usd": 200.0}],
    "token_percentiles": {"chat": {"prompt": {"p50": 500, "p95": 1500, "p99": 2000},
                                   "completion": {"p50": 100, "p95": 300, "p99": 400}}},
    "latency_ms": {"p50": 800.0, "p95": 2400.0},
    "repeated_prompt_share": 0.25,
    "hourly_profile": [0] * 10 + [700] + [500] + [0] * 12,
}

OPTIMIZATION = {
    "range": RANGE, "spend_usd": 812.3456, "days": 30,
    "recommendations": [
        {"id": "model_routing:classify", "lever": "model_routing", "title": "Route classify to gpt-4o-mini",
         "monthly_savings_usd": 100.5, "savings_pct": 12.37, "confidence": 0.7, "method": "Replayed at the cheaper price",
         "assumptions": ["Same tier quality"], "evidence": {"records": 200, "sample_request_ids": ["r-1", "r-2"]},
         "risk": "Quality regression on hard inputs"},
        {"id": "response_caching:chat", "lever": "response_caching", "title": "Cache exact repeats in chat",
         "monthly_savings_usd": 0.004213, "savings_pct": 0.0005, "confidence": 0.9, "method": "Exact repeats within 1 h",
         "assumptions": [], "evidence": {"records": 3, "sample_request_ids": ["r-9"]}, "risk": "Stale answers"},
    ],
    "not_recommended": [{"lever": "prompt_caching", "reason": "Cache writes would cost $3.10 more than reads save."}],
    "total_monthly_savings_usd": 100.504213,
}


def run(category="cost_optimization", data=DATA, optimization=OPTIMIZATION, emitter=None, **kwargs):
    triage = kwargs.pop("triage", None) or triage_dict(category)
    emitter = emitter or Emitter()
    return report("question", emitter=emitter, triage=triage, data=data, optimization=optimization, **kwargs), emitter


def test_money_and_percent_formatting():
    assert fmt.usd(812.3456) == "$812.35"
    assert fmt.usd(1234567.891) == "$1,234,567.89"
    assert fmt.usd(0) == "$0.00"
    assert fmt.usd(0.004213) == "$0.004213"
    assert fmt.usd(-3.1) == "-$3.10"
    assert fmt.pct(12.37) == "12.4%"
    assert fmt.confidence(0.7) == "70%"
    assert fmt.confidence("high") == "high"
    assert fmt.range_text(RANGE) == "2026-10-01 to 2026-10-31 (30 days, end exclusive)"
    partial = {"start": "2026-11-01T00:00:00", "end": "2026-11-29T16:40:43.112652"}
    assert fmt.range_text(partial) == "2026-11-01 to 2026-11-29 16:40 UTC (28.7 days, end exclusive)"
    assert fmt.range_text({"start": "2026-10-01T06:00:00", "end": "2026-10-01T18:00:00"}) == \
        "2026-10-01 06:00 UTC to 2026-10-01 18:00 UTC (12 hours, end exclusive)"


def test_cost_optimization_states_spend_shares_recommendations_and_exclusions():
    result, _ = run()
    md = result.markdown
    assert md.startswith("### Ways to spend less for 2026-10-01 to 2026-10-31 (30 days, end exclusive)\n")
    assert "You spent **$812.35** on 1,200 requests" in md
    assert "| `gpt-4o` | $600.00 | 73.9% | 600 |" in md
    assert "| `claude-3-5-haiku-20241022` | $200.00 | 24.6% | 500 |" in md
    assert "| `chat` | $700.00 | 86.2% | 1,000 |" in md
    assert "**2 recommendations**, together about **$100.50 a month** (12.4% of the monthly run-rate)" in md
    assert ("1. **Route classify to gpt-4o-mini** (`model_routing`): saves **$100.50 a month** "
            "(12.4% of spend), confidence 70%.") in md
    assert "2. **Cache exact repeats in chat** (`response_caching`): saves **$0.004213 a month**" in md
    assert "   - Evidence: 200 records (e.g. `r-1`, `r-2`)." in md
    assert "   - Risk: Quality regression on hard inputs" in md
    assert "   - Assumptions: Same tier quality.\n" in md
    assert "- `prompt_caching`: Cache writes would cost $3.10 more than reads save." in md
    assert result.wording == "template" and result.llm_error is None

    structured = result.structured
    assert structured["category"] == "cost_optimization"
    assert structured["data_status"] == "ok"
    assert structured["range"] == RANGE and structured["days"] == 30
    assert structured["totals"] == DATA["totals"]
    assert structured["recommendations"] == OPTIMIZATION["recommendations"]
    assert structured["not_recommended"] == OPTIMIZATION["not_recommended"]
    assert structured["total_monthly_savings_usd"] == pytest.approx(100.504213)
    assert [m["model"] for m in structured["top_models"]] == ["gpt-4o", "claude-3-5-haiku-20241022", "gpt-4o-mini"]
    assert structured["top_models"][0]["share_pct"] == pytest.approx(600.0 / 812.3456 * 100)


def test_spend_breakdown_names_what_was_asked_and_what_has_no_records():
    triage = triage_dict("spend_breakdown", models=["gpt-4o", "gpt-4.1"], features=["classify"])
    result, _ = run(triage=triage, optimization=None)
    md = result.markdown
    assert md.startswith("### Where your LLM spend went for 2026-10-01 to 2026-10-31")
    assert "- `gpt-4o`: $600.00 (73.9% of spend), 600 requests." in md
    assert "- `gpt-4.1`: no records in this range." in md
    assert "- `classify`: $112.35 (13.8% of spend), 200 requests." in md
    assert "**Top providers by spend**" in md and "| `anthropic` | $200.00 | 24.6% | 500 |" in md
    assert "recommendation" not in md
    assert [m["name"] for m in result.structured["mentioned"]] == ["gpt-4o", "gpt-4.1", "classify"]


def test_usage_trends_figures():
    result, _ = run("usage_trends", optimization=None)
    md = result.markdown
    assert "Spend was recorded on 4 days, **$203.09 a day** on average; the peak was 2026-10-01 at $300.00" in md
    assert ("The last 2 days with traffic cost $300.00 against $512.35 for the first 2 days: down 41.4%.") in md
    assert "The busiest hour is 10:00 UTC (700 requests)." in md
    trend = result.structured["trend"]
    assert trend["first_half_usd"] == pytest.approx(512.3456) and trend["second_half_usd"] == 300.0
    assert trend["busiest_hour_utc"] == 10


def test_performance_figures():
    result, _ = run("performance", optimization=None)
    md = result.markdown
    assert "Latency: p50 **800 ms**, p95 **2,400 ms**. Errors: 12 of 1,200 requests (1.00%)." in md
    assert "| `chat` | 500 | 1,500 | 100 | 300 | 400 |" in md


def test_caching_states_the_repeat_share():
    opt = copy.deepcopy(OPTIMIZATION)
    opt["recommendations"] = opt["recommendations"][1:]
    opt["total_monthly_savings_usd"] = 0.004213
    result, _ = run("caching", optimization=opt)
    assert "25.0% of your requests with a prompt hash repeat an earlier prompt in this range." in result.markdown
    assert "**1 recommendation**, together about **$0.004213 a month**" in result.markdown


def test_budget_and_percentage_targets():
    triage = triage_dict(budget_usd=750.0, percentage=30.0)
    result, _ = run(triage=triage)
    md = result.markdown
    assert ("- Budget $750.00 a month: with these savings the run-rate would be $711.84, within budget.") in md
    assert "- Target cut 30.0%: these recommendations reach 12.4%." in md
    targets = result.structured["targets"]
    assert targets["budget_usd"]["met"] is True and targets["percentage"]["met"] is False


def test_no_recommendation_says_so():
    opt = {**OPTIMIZATION, "recommendations": [], "total_monthly_savings_usd": 0.0}
    result, _ = run(optimization=opt)
    assert "**No saving found** that your records support for the levers examined." in result.markdown
    assert "- `prompt_caching`: Cache writes would cost" in result.markdown


@pytest.mark.parametrize("category", ["help", "out_of_scope"])
def test_direct_answers_carry_no_figures(category):
    result, _ = run(category, data=None, optimization=None, triage=triage_dict(category))
    assert result.structured["data_status"] == "not_needed"
    assert "$" not in result.markdown.replace("$TOKENWISE_URL", "").replace("$TOKEN", "")
    if category == "help":
        assert "POST /api/usage/import" in result.markdown and "**Try asking**" in result.markdown
    else:
        assert result.markdown.startswith("### Outside what I can answer")


def test_no_data_explains_how_to_import():
    result, _ = run("spend_breakdown", data=None, optimization=None,
                    triage=triage_dict("spend_breakdown", sufficiency="none"))
    md = result.markdown
    assert "I found **no usage records** for you in 2026-10-01 to 2026-10-31 (30 days, end exclusive)" in md
    for needle in ("POST /api/usage/import", "text/csv", "application/x-ndjson", "`tokenwise`", "`litellm`",
                   "`openai`", "request_id, timestamp, provider, model, feature, prompt_tokens"):
        assert needle in md
    assert result.structured["data_status"] == "no_data"


def test_zero_records_in_data_is_no_data_too():
    empty = {**DATA, "totals": {**DATA["totals"], "requests": 0, "cost_usd": 0.0}, "by_model": []}
    result, _ = run("spend_breakdown", data=empty, optimization=None, triage=triage_dict("spend_breakdown"))
    assert result.structured["data_status"] == "no_data"


def test_database_unavailable_is_said_not_hidden():
    result, _ = run("spend_breakdown", data=None, optimization=None, data_error="database_unavailable",
                    triage=triage_dict("spend_breakdown", sufficiency="unknown"))
    assert "Your usage data is unavailable right now" in result.markdown
    assert result.structured["data_status"] == "unavailable"
    assert result.structured["data_error"] == "database_unavailable"


def test_optimization_failure_after_data_keeps_the_figures():
    result, _ = run(optimization=None, optimization_error="the database became unavailable while pricing the savings")
    assert "You spent **$812.35**" in result.markdown
    assert "I could not compute savings: the database became unavailable while pricing the savings" in result.markdown


def test_events_in_order_with_the_result():
    result, emitter = run()
    assert [(e.type, e.agent) for e in emitter.events] == [
        ("agent_started", "report"), ("tool_executing", "report"), ("tool_completed", "report"),
        ("agent_completed", "report")]
    assert emitter.events[0].payload == {"input": "cost_optimization answer from data and optimization"}
    assert emitter.events[1].payload == {"tool": "render_template", "args": {"category": "cost_optimization"}}
    assert emitter.events[-1].payload["result"] == result.to_dict()
    assert set(result.to_dict()) == {"markdown", "structured", "wording", "llm_error"}


def test_cancelled_run_stops_before_completing():
    emitter = Emitter()
    emitter.cancel.set()
    with pytest.raises(RunCancelled):
        run(emitter=emitter)
    assert [e.type for e in emitter.events] == ["agent_started"]


def test_model_selection_shows_models_and_its_levers():
    opt = {**OPTIMIZATION, "recommendations": OPTIMIZATION["recommendations"][:1], "total_monthly_savings_usd": 100.5,
           "not_recommended": [{"lever": "model_deprecation", "reason": "No deprecated model in use."}]}
    triage = triage_dict("model_selection", models=["gpt-4o"])
    result, _ = run(triage=triage, optimization=opt)
    md = result.markdown
    assert md.startswith("### Your models and cheaper equivalents for 2026-10-01 to 2026-10-31")
    assert "**Top models by spend**" in md and "**Top features by spend**" not in md
    assert "| `gpt-4o-mini` | $12.35 | 1.5% | 100 |" in md
    assert "**1 recommendation**, together about **$100.50 a month**" in md
    assert "- `model_deprecation`: No deprecated model in use." in md


def test_batching_shows_features():
    opt = {**OPTIMIZATION, "recommendations": [], "total_monthly_savings_usd": 0.0,
           "not_recommended": [{"lever": "batch", "reason": "No latency-tolerant feature."}]}
    result, _ = run("batching", optimization=opt)
    md = result.markdown
    assert md.startswith("### Batch processing opportunities for")
    assert "**Top features by spend**" in md and "**Top models by spend**" not in md
    assert "- `batch`: No latency-tolerant feature." in md


def test_more_rows_than_shown_are_summed():
    rows = [{"model": f"m-{i}", "provider": "openai", "requests": 1, "cost_usd": float(10 - i)} for i in range(8)]
    data = {**DATA, "by_model": rows, "totals": {**DATA["totals"], "cost_usd": sum(r["cost_usd"] for r in rows)}}
    result, _ = run("spend_breakdown", data=data, optimization=None, triage=triage_dict("spend_breakdown"))
    assert "| 3 more | $12.00 | 23.1% | |" in result.markdown
    assert len(result.structured["top_models"]) == 5
