"""Each optimization lever on both backends, against savings worked out by hand from catalog rates."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.agents.optimization import optimize
from shared.agents.pipeline.events import Emitter
from shared.pricing import catalog
from tests.agents.dataopt_records import catalog_cost, insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 2)  # one day: monthly = 30 x the day
T = datetime(2026, 11, 1, 8)


def _optimize(user_id, levers=None, start=START, end=END):
    return optimize(user_id, start, end, emitter=Emitter(), levers=levers).to_dict()


def _only(result, lever):
    recs = [r for r in result["recommendations"] if r["lever"] == lever]
    assert len(recs) == 1, result
    return recs[0]


def _rate(model, field):
    return getattr(catalog().lookup(model), field)


def test_response_caching_of_1000_identical_prompts(database):
    user = make_user()
    rows = [record(T + timedelta(seconds=i), model="gpt-4o", prompt_tokens=1000, completion_tokens=100,
                   prompt_hash="same-question") for i in range(1000)]
    insert_records(user, rows)
    price = 1000 * _rate("gpt-4o", "input") + 100 * _rate("gpt-4o", "output")  # $0.0035 a request
    result = _optimize(user, ["response_caching"])
    rec = _only(result, "response_caching")
    assert rec["id"] == "response_caching"
    assert rec["monthly_savings_usd"] == pytest.approx(999 * price * 30, abs=1e-6)
    assert rec["savings_pct"] == pytest.approx(99.9, abs=1e-4)
    assert rec["evidence"]["records"] == 999 and rec["confidence"] == 0.6
    assert rec["title"] == "Cache responses to repeated prompts for 1 hour"
    assert set(rec["evidence"]["sample_request_ids"]) <= {r["request_id"] for r in rows[1:]}
    assert result["total_monthly_savings_usd"] == pytest.approx(999 * price * 30, abs=1e-6)
    assert result["spend_usd"] == pytest.approx(1000 * price) and result["days"] == 1.0


def test_response_caching_falls_back_to_a_day_then_to_nothing(database):
    every_two_hours, every_25_hours = make_user(), make_user()
    insert_records(every_two_hours, [record(T + timedelta(hours=2 * i), prompt_hash="h") for i in range(5)])
    insert_records(every_25_hours, [record(START + timedelta(hours=25 * i), prompt_hash="h") for i in range(3)])
    rec = _only(_optimize(every_two_hours, ["response_caching"], end=END + timedelta(days=1)), "response_caching")
    assert rec["title"].endswith("for 24 hours") and rec["confidence"] == 0.5 and rec["evidence"]["records"] == 4
    result = _optimize(every_25_hours, ["response_caching"], end=START + timedelta(days=4))
    assert result["recommendations"] == []
    assert result["not_recommended"][0]["lever"] == "response_caching"
    assert "within 24 hours" in result["not_recommended"][0]["reason"]


def test_prompt_caching_where_it_wins(database):
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), model="claude-sonnet-4-5", provider="anthropic",
                                 feature="support", prompt_tokens=2048, completion_tokens=50, prompt_hash="system")
                          for i in range(100)])
    read_saving = 99 * 2048 * (_rate("claude-sonnet-4-5", "input") - _rate("claude-sonnet-4-5", "cache_read"))
    write_premium = 1 * 2048 * (_rate("claude-sonnet-4-5", "cache_write") - _rate("claude-sonnet-4-5", "input"))
    rec = _only(_optimize(user, ["prompt_caching"]), "prompt_caching")
    assert rec["monthly_savings_usd"] == pytest.approx((read_saving - write_premium) * 30, abs=1e-6)
    assert rec["evidence"]["records"] == 99 and rec["confidence"] == 0.7
    assert rec["details"] == [{"feature": "support", "model": "claude-sonnet-4-5", "reads": 99, "writes": 1,
                               "saving_usd": pytest.approx(read_saving - write_premium, abs=1e-9)}]


def test_prompt_caching_that_would_lose_money_is_not_recommended(database):
    user = make_user()
    rows = [record(T + timedelta(minutes=10 * i), model="claude-sonnet-4-5", provider="anthropic", feature="support",
                   prompt_tokens=2048, completion_tokens=50, prompt_hash=f"unique-{i}") for i in range(10)]
    rows.append(record(T + timedelta(minutes=1), model="claude-sonnet-4-5", provider="anthropic", feature="support",
                       prompt_tokens=2048, completion_tokens=50, prompt_hash="unique-0"))
    insert_records(user, rows)
    reads = 1 * 2048 * (_rate("claude-sonnet-4-5", "input") - _rate("claude-sonnet-4-5", "cache_read"))
    writes = 10 * 2048 * (_rate("claude-sonnet-4-5", "cache_write") - _rate("claude-sonnet-4-5", "input"))
    result = _optimize(user, ["prompt_caching"])
    assert result["recommendations"] == [] and result["total_monthly_savings_usd"] == 0.0
    [note] = result["not_recommended"]
    assert note["lever"] == "prompt_caching" and "would not pay" in note["reason"]
    assert note["details"] == {"feature": "support", "model": "claude-sonnet-4-5",
                               "monthly_net_usd": pytest.approx((reads - writes) * 30, abs=1e-6)}
    assert note["details"]["monthly_net_usd"] == round(note["details"]["monthly_net_usd"], 6) < 0
    assert note["reason"].startswith("Prompt caching for support on claude-sonnet-4-5 would not pay: 10 cache "
                                     "writes cost $")


def test_batch_saving_at_the_catalog_batch_rate(database):
    user = make_user()
    nightly = [record(T + timedelta(minutes=i), model="claude-haiku-4-5", provider="anthropic",
                      feature="nightly_summaries", prompt_tokens=2000, completion_tokens=300) for i in range(200)]
    insert_records(user, nightly + [
        record(T, model="claude-haiku-4-5", provider="anthropic", feature="chat", prompt_tokens=2000,
               completion_tokens=300),
        record(T, model="claude-haiku-4-5", provider="anthropic", feature="nightly_summaries", prompt_tokens=2000,
               completion_tokens=300, is_batch=True),
    ])
    standard = 2000 * _rate("claude-haiku-4-5", "input") + 300 * _rate("claude-haiku-4-5", "output")
    batch = 2000 * _rate("claude-haiku-4-5", "batch_input") + 300 * _rate("claude-haiku-4-5", "batch_output")
    rec = _only(_optimize(user, ["batch"]), "batch")
    assert rec["monthly_savings_usd"] == pytest.approx(200 * (standard - batch) * 30, abs=1e-6)
    assert rec["evidence"]["records"] == 200 and rec["confidence"] == 0.7
    assert rec["title"] == "Send nightly_summaries through the batch API"
    assert set(rec["evidence"]["sample_request_ids"]) <= {r["request_id"] for r in nightly}
    assert len(rec["evidence"]["sample_request_ids"]) == 5


def test_max_tokens_far_above_outputs_is_a_finding_without_a_saving(database):
    user = make_user()
    insert_records(user, [record(T + timedelta(seconds=i), model="gpt-4o-mini", feature="classify",
                                 completion_tokens=1 + i % 200, max_tokens=4096) for i in range(400)])
    result = _optimize(user, ["max_tokens"])
    assert result["recommendations"] == []
    [note] = result["not_recommended"]
    assert note["lever"] == "max_tokens"
    assert note["details"] == {"feature": "classify", "configured_max_tokens": 4096, "p99_completion": 198,
                               "max_completion": 200, "proposed_max_tokens": 320,
                               "outputs_at_configured_limit": 0, "runaway_records": 0,
                               "runaway_tokens": 0, "saving_usd": 0.0}
    assert "nothing billed would change" in note["reason"]


def test_max_tokens_saving_counts_only_runaway_outputs(database):
    user = make_user()
    rows = [record(T + timedelta(seconds=i), model="gpt-4o-mini", feature="classify", completion_tokens=100,
                   max_tokens=4096) for i in range(1000)]
    runaway = [record(T + timedelta(hours=1, seconds=i), model="gpt-4o-mini", feature="classify",
                      completion_tokens=3000, max_tokens=4096) for i in range(5)]
    insert_records(user, rows + runaway)
    rec = _only(_optimize(user, ["max_tokens"]), "max_tokens")
    # p99 of 1,005 outputs is rank 995 = 100 tokens; cap = 150 rounded up to 64 = 192
    assert rec["monthly_savings_usd"] == pytest.approx(5 * (3000 - 192) * _rate("gpt-4o-mini", "output") * 30, abs=1e-6)
    assert rec["evidence"]["records"] == 5
    assert rec["details"][0]["proposed_max_tokens"] == 192
    assert sorted(rec["evidence"]["sample_request_ids"]) == sorted(r["request_id"] for r in runaway)


def test_deprecated_model_moves_to_its_successors_price(database):
    turbo = catalog().lookup("gpt-4-turbo")
    assert turbo.deprecation_date <= END.date() and turbo.successor_model == "gpt-5.6-sol"
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), model="gpt-4-turbo", prompt_tokens=1000,
                                 completion_tokens=200) for i in range(100)])
    now = 1000 * turbo.input + 200 * turbo.output
    after = 1000 * _rate("gpt-5.6-sol", "input") + 200 * _rate("gpt-5.6-sol", "output")
    rec = _only(_optimize(user, ["model_deprecation"]), "model_deprecation")
    assert rec["monthly_savings_usd"] == pytest.approx(100 * (now - after) * 30, abs=1e-6)
    assert rec["details"][0]["successor"] == "gpt-5.6-sol" and rec["details"][0]["deprecated_on"] == "2026-10-23"
    assert rec["evidence"]["records"] == 100


def test_a_dearer_successor_is_flagged_as_a_cost_increase(database):
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), model="o3-mini", prompt_tokens=1000,
                                 completion_tokens=200) for i in range(100)])
    now = 1000 * _rate("o3-mini", "input") + 200 * _rate("o3-mini", "output")
    after = 1000 * _rate("gpt-5.6-sol", "input") + 200 * _rate("gpt-5.6-sol", "output")
    result = _optimize(user, ["model_deprecation"])
    assert result["recommendations"] == [] and result["total_monthly_savings_usd"] == 0.0
    [note] = result["not_recommended"]
    assert note["details"]["monthly_cost_increase_usd"] == pytest.approx(100 * (after - now) * 30, abs=1e-6)
    assert "cost increase" in note["reason"]


def test_a_model_deprecated_after_the_range_is_not_deprecated_yet(database):
    user = make_user()
    insert_records(user, [record(datetime(2026, 10, 1, 12), model="gpt-4-turbo")])
    result = _optimize(user, ["model_deprecation"], start=datetime(2026, 10, 1), end=datetime(2026, 10, 2))
    assert result["recommendations"] == []
    assert result["not_recommended"][0]["reason"].startswith("No request in this range used a model")


def test_routing_to_a_cheaper_model_of_the_same_tier_and_provider(database):
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), model="claude-sonnet-4-5", provider="anthropic",
                                 feature="support", prompt_tokens=1000, completion_tokens=200) for i in range(100)])
    insert_records(user, [record(T, model="codestral-latest", provider="mistral", feature="code")])
    now = catalog_cost("claude-sonnet-4-5", "anthropic", 1000, 200)
    after = 1000 * _rate("claude-sonnet-5", "input") + 200 * _rate("claude-sonnet-5", "output")
    result = _optimize(user, ["model_routing"])
    rec = _only(result, "model_routing")
    assert rec["monthly_savings_usd"] == pytest.approx(100 * (now - after) * 30, abs=1e-6)
    assert rec["title"] == "Route support from claude-sonnet-4-5 to claude-sonnet-5"
    assert rec["confidence"] == 0.8 and rec["details"][0]["relation"] == "same_provider"
    assert rec["evidence"]["records"] == 100


def test_untiered_models_are_named_when_nothing_can_be_routed(database):
    user = make_user()
    insert_records(user, [record(T, model="codestral-latest", provider="mistral", feature="code")])
    [note] = _optimize(user, ["model_routing"])["not_recommended"]
    assert note["lever"] == "model_routing" and "mistral/codestral-latest" in note["reason"]


def test_overlapping_caching_levers_are_not_added_twice(database):
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), model="claude-sonnet-4-5", provider="anthropic",
                                 feature="support", prompt_tokens=2048, completion_tokens=50, prompt_hash="system")
                          for i in range(100)])
    insert_records(user, [record(T + timedelta(minutes=i), model="claude-haiku-4-5", provider="anthropic",
                                 feature="nightly_report", prompt_tokens=500, completion_tokens=100)
                          for i in range(10)])
    result = _optimize(user, ["response_caching", "prompt_caching", "batch"])
    by_lever = {r["lever"]: r["monthly_savings_usd"] for r in result["recommendations"]}
    assert list(by_lever) == ["response_caching", "prompt_caching", "batch"]
    # both caching levers live off the same 99 repeats: only the larger counts; batch is another feature
    assert result["total_monthly_savings_usd"] == pytest.approx(by_lever["response_caching"] + by_lever["batch"],
                                                                abs=1e-5)
    assert result["total_monthly_savings_usd"] < sum(by_lever.values())
