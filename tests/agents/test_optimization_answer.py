"""One account's whole optimization answer, word for word and cent for cent.

Every lever recommends something here, several on the same pairs, so the text a user reads
(titles, methods, assumptions, risks), each figure and the combined total are pinned together.
Figures are worked out by hand from the catalog rates in the comments ($ per token).
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.agents.optimization import optimize
from shared.agents.pipeline.events import Emitter
from tests.agents.dataopt_records import insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 2)  # one day: monthly = 30 x the day
T = datetime(2026, 11, 1, 8)


def _rows(count, model, provider, feature, prompt, completion, step=timedelta(seconds=1), start=T, **extra):
    return [record(start + i * step, model=model, provider=provider, feature=feature, prompt_tokens=prompt,
                   completion_tokens=completion, **extra) for i in range(count)]


@pytest.fixture
def answer(database):
    user = make_user()
    insert_records(user, [
        # sonnet-4-5 3e-6/1.5e-5 (cache read 3e-7, write 3.75e-6): $0.009144 each, one prompt repeated
        *_rows(100, "claude-sonnet-4-5", "anthropic", "support", 2048, 200, timedelta(minutes=1), prompt_hash="sys"),
        # gemini-3.6-flash 7.5e-7/3.75e-6: $0.0015 each
        *_rows(10, "gemini/gemini-3.6-flash", "gemini", "tagging", 1000, 200),
        # haiku-4-5 1e-6/5e-6, batch 5e-7/2.5e-6: $0.0035 each
        *_rows(50, "claude-haiku-4-5", "anthropic", "nightly_summaries", 2000, 300),
        *_rows(20, "claude-haiku-4-5", "anthropic", "transcribe", 2000, 300, latency_ms=25_000),
        # gpt-4-turbo 1e-5/3e-5, deprecated: $0.016 each
        *_rows(10, "gpt-4-turbo", "openai", "legacy", 1000, 200),
        # gpt-4o-mini 1.5e-7/6e-7, max_tokens far above its outputs, two runaways
        *_rows(200, "gpt-4o-mini", "openai", "classify", 100, 100, max_tokens=4096),
        *_rows(2, "gpt-4o-mini", "openai", "classify", 100, 3000, start=T + timedelta(hours=1), max_tokens=4096),
    ])
    return optimize(user, START, END, emitter=Emitter()).to_dict()


def _figures(value):
    """Floats as pytest.approx to a nano-dollar, everything else as is."""
    if isinstance(value, float):
        return pytest.approx(value, abs=1e-9)
    if isinstance(value, dict):
        return {k: _figures(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_figures(v) for v in value]
    return value


def _move(feature, source, target, relation, tier, records, saving, cost):
    return {"feature": feature, "from_model": source, "to_model": target, "relation": relation, "tier": tier,
            "batch": False, "records": records, "saving_usd": saving, "cost_usd": cost}


ROUTING = {
    "id": "model_routing", "lever": "model_routing",
    "title": "Route 6 feature/model pairs to cheaper models of their tier",
    "monthly_savings_usd": 0.65591 * 30, "savings_pct": 48.4771, "confidence": 0.8,
    "method": "Re-priced each feature's own prompt, completion, cached and cache-write tokens at the target model's "
              "catalog rates and applied the difference to what was paid. Moves: support: claude-sonnet-4-5 → "
              "claude-sonnet-5 (same provider, $9.14/month); nightly_summaries: claude-haiku-4-5 → claude-haiku-5-5 "
              "(same provider, $4.72/month); legacy: gpt-4-turbo → gpt-6-sol (same provider, $3.60/month); "
              "transcribe: claude-haiku-4-5 → claude-haiku-5-5 (same provider, $1.89/month); tagging: "
              "gemini/gemini-3.6-flash → mistral/mistral-large-3 (cross provider, $0.21/month); classify: "
              "gpt-4o-mini → claude-haiku-5-5 (cross provider, $0.11/month).",
    "assumptions": [
        "Models in the same tier of the tier table (docs/model_tiers.md) handle these requests equally well.",
        "Targets have no announced deprecation and their context window holds the largest prompt seen.",
        "A move must save at least 10% of the pair's cost to be worth a change.",
        "Cross-tier moves only for short outputs from moderate prompts (classification-like features).",
    ],
    "evidence": {"records": 392, "sample_request_ids": 5},
    "risk": "Output quality and style can change with the model: evaluate the target on a sample of real requests "
            "before switching, especially for cross-provider and cross-tier moves.",
    "details": [
        _move("support", "claude-sonnet-4-5", "claude-sonnet-5", "same_provider", "balanced", 100, 0.3048, 0.9144),
        _move("nightly_summaries", "claude-haiku-4-5", "claude-haiku-5-5", "same_provider", "efficient", 50,
              0.1575, 0.175),
        _move("legacy", "gpt-4-turbo", "gpt-6-sol", "same_provider", "frontier", 10, 0.12, 0.16),
        _move("transcribe", "claude-haiku-4-5", "claude-haiku-5-5", "same_provider", "efficient", 20, 0.063, 0.07),
        _move("tagging", "gemini/gemini-3.6-flash", "mistral/mistral-large-3", "cross_provider", "balanced", 10,
              0.007, 0.015),
        _move("classify", "gpt-4o-mini", "claude-haiku-5-5", "cross_provider", "efficient", 202, 0.00361, 0.01863),
    ],
}
RESPONSE_CACHING = {
    "id": "response_caching", "lever": "response_caching", "title": "Cache responses to repeated prompts for 1 hour",
    "monthly_savings_usd": 99 * 0.009144 * 30, "savings_pct": 66.9058, "confidence": 0.6,
    "method": "Replayed the records in time order per model and prompt hash: 99 successful requests repeated a "
              "prompt answered less than 1 hour earlier; each such repeat is served from the cache at no cost.",
    "assumptions": [
        "The prompt hash covers the whole request, so an identical hash would get an acceptable identical answer.",
        "A cache entry expires after its TTL without use; every use keeps it alive.",
        "With a 24-hour TTL the saving would be $27.16/month (99 repeats in the range).",
    ],
    "evidence": {"records": 99, "sample_request_ids": 2},
    "risk": "Users get the stored answer: unsuitable where answers must be fresh or deliberately varied.",
    "details": [{"feature": "support", "model": "claude-sonnet-4-5", "repeats": 99, "saving_usd": 0.905256}],
}
PROMPT_NET = 99 * 2048 * (3e-6 - 3e-7) - 2048 * (3.75e-6 - 3e-6)
PROMPT_CACHING = {
    "id": "prompt_caching", "lever": "prompt_caching",
    "title": "Turn on provider prompt caching for repeated long prompts",
    "monthly_savings_usd": PROMPT_NET * 30, "savings_pct": 40.3461, "confidence": 0.7,
    "method": "Replayed prompts of 1,024+ tokens per model and prompt hash with a 5-minute TTL: 99 reads billed at "
              "the catalog cache-read rate, each first request billed at the cache-write rate, net of tokens already "
              "cached.",
    "assumptions": [
        ("Only whole-prompt repeats (same prompt hash) are visible; shared prefixes of different prompts would "
         "add savings not counted here."),
        "Cacheable prefix: 1,024 tokens then 128-token steps; a cache entry lives 5 minutes after its last use.",
    ],
    "evidence": {"records": 99, "sample_request_ids": 1},
    "risk": "Needs a stable prompt prefix (Anthropic: explicit cache breakpoints). Overlaps response caching: the "
            "same repeats cannot be saved twice.",
    "details": [{"feature": "support", "model": "claude-sonnet-4-5", "reads": 99, "writes": 1,
                 "saving_usd": PROMPT_NET}],
}
BATCH = {
    "id": "batch", "lever": "batch", "title": "Send nightly_summaries, transcribe through the batch API",
    "monthly_savings_usd": 70 * 0.00175 * 30, "savings_pct": 9.0538,
    "confidence": 0.63,  # (0.0875 x 0.7 + 0.035 x 0.45) / 0.1225
    "method": "Re-priced the latency-tolerant features' requests at the catalog's batch input and output rates for "
              "their models (nightly_summaries: its name describes offline work; transcribe: its mean latency is "
              "already 25,000 ms).",
    "assumptions": ["These features' results can wait for a batch window (up to 24 hours).",
                    "Requests already marked as batch are left as they are."],
    "evidence": {"records": 70, "sample_request_ids": 5},
    "risk": "Results arrive asynchronously within the provider's batch window instead of in seconds.",
    "details": [
        {"feature": "nightly_summaries", "model": "claude-haiku-4-5", "records": 50, "saving_usd": 0.0875,
         "monthly_saving_usd": 2.625, "why": "its name describes offline work"},
        {"feature": "transcribe", "model": "claude-haiku-4-5", "records": 20, "saving_usd": 0.035,
         "monthly_saving_usd": 1.05, "why": "its mean latency is already 25,000 ms"},
    ],
}
RUNAWAY = 2 * (3000 - 192)  # p99 of 202 outputs is 100: cap 150 rounded up to 64 = 192
MAX_TOKENS = {
    "id": "max_tokens", "lever": "max_tokens", "title": "Lower max_tokens to fit what each feature actually generates",
    "monthly_savings_usd": RUNAWAY * 6e-7 * 30, "savings_pct": 0.249, "confidence": 0.5,
    "method": "Proposed cap = p99 of the feature's completion tokens x 1.5, rounded up to 64; the saving is the output "
              "tokens of runaway completions above that cap at the model's output rate. classify: 4,096 → 192 "
              "($0.10/month).",
    "assumptions": ["The tokens above the cap were not needed: those outputs would have been cut short.",
                    "Outputs under the cap are billed the same whatever max_tokens is."],
    "evidence": {"records": 2, "sample_request_ids": 2},
    "risk": "2 outputs in the range were longer than the proposed caps and would have been truncated.",
    "details": [{"feature": "classify", "configured_max_tokens": 4096, "p99_completion": 100, "max_completion": 3000,
                 "proposed_max_tokens": 192, "outputs_at_configured_limit": 0, "runaway_records": 2,
                 "runaway_tokens": RUNAWAY, "saving_usd": RUNAWAY * 6e-7}],
}
DEPRECATION = {
    "id": "model_deprecation", "lever": "model_deprecation",
    "title": "Move off deprecated models to their cheaper successors",
    "monthly_savings_usd": 0.08 * 30, "savings_pct": 5.9127, "confidence": 0.85,
    "method": "Re-priced the requests on deprecated models at their catalog successors' rates: gpt-4-turbo "
              "(deprecated 2026-10-23) → gpt-5.6-sol.",
    "assumptions": ["The successor is the model the catalog names as the replacement.",
                    "Token counts stay the same on the successor."],
    "evidence": {"records": 10, "sample_request_ids": 5},
    "risk": "The deprecated model stops answering on its retirement date; test prompts on the successor first.",
    "details": [{"model": "gpt-4-turbo", "successor": "gpt-5.6-sol", "deprecated_on": "2026-10-23", "records": 10,
                 "cost_usd": 0.16, "successor_cost_usd": 0.08, "saving_usd": 0.08}],
}


def test_every_recommendation_as_the_user_reads_it(answer):
    recommendations = [{**rec, "evidence": {**rec["evidence"], "sample_request_ids": len(
        rec["evidence"]["sample_request_ids"])}} for rec in answer["recommendations"]]
    expected = [ROUTING, RESPONSE_CACHING, PROMPT_CACHING, BATCH, MAX_TOKENS, DEPRECATION]
    for got, want in zip(recommendations, expected, strict=True):
        assert got == _figures(want)
    assert len(recommendations) == len(expected) and answer["not_recommended"] == []


def test_figures_are_rounded_as_documented(answer):
    for rec in answer["recommendations"]:
        assert rec["monthly_savings_usd"] == round(rec["monthly_savings_usd"], 6)
        assert rec["savings_pct"] == round(rec["savings_pct"], 4)
        for detail in rec["details"]:
            assert all(v == round(v, 9) for v in detail.values() if isinstance(v, float)), detail


def test_the_combined_total_counts_each_pair_once(answer):
    # per pair, 1 - what every group leaves: support keeps 1% after caching and 2/3 after routing; the
    # haiku features keep 10% after routing and half of that after batch; legacy takes routing's 75% over
    # deprecation's 50%; classify combines routing and max_tokens; tagging has routing alone
    classify_kept = (1 - 0.00361 / 0.01863) * (1 - RUNAWAY * 6e-7 / 0.01863)
    day = (0.9144 * (1 - 0.01 * 2 / 3) + 0.007 + 0.245 * (1 - 0.1 * 0.5) + 0.12 + 0.01863 * (1 - classify_kept))
    assert answer["total_monthly_savings_usd"] == pytest.approx(day * 30, abs=1e-6)
    assert answer["spend_usd"] == pytest.approx(1.35303, abs=1e-9) and answer["days"] == 1.0
