"""Prompt and response caching figures beyond the Anthropic case: other providers' rates, reported
prices, models the catalog cannot price for caching, and the sample requests shown as evidence."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.agents.optimization import optimize
from shared.agents.pipeline.events import Emitter
from shared.pricing import catalog
from tests.agents.dataopt_records import catalog_cost, insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 2)  # one day: monthly = 30 x the day
T = datetime(2026, 11, 1, 8)


def _optimize(user_id, levers):
    return optimize(user_id, START, END, emitter=Emitter(), levers=levers).to_dict()


def _repeats(count, model, provider="openai", feature="support", prompt=2048, **extra):
    return [record(T + timedelta(minutes=i), model=model, provider=provider, feature=feature, prompt_tokens=prompt,
                   completion_tokens=50, prompt_hash=f"{feature}-system", **extra) for i in range(count)]


def test_openai_prompt_caching_has_no_write_premium(database):
    user = make_user()
    insert_records(user, _repeats(10, "gpt-4o"))
    [rec] = _optimize(user, ["prompt_caching"])["recommendations"]
    saving = 9 * 2048 * (2.5e-6 - 1.25e-6)  # nine reads at the cache-read rate; the first write costs the input rate
    assert rec["details"] == [{"feature": "support", "model": "gpt-4o", "reads": 9, "writes": 1,
                               "saving_usd": pytest.approx(saving, abs=1e-12)}]
    assert rec["monthly_savings_usd"] == pytest.approx(saving * 30, abs=1e-9)


def test_prompt_caching_scales_to_what_was_actually_paid(database):
    user = make_user()
    listed = catalog_cost("gpt-4o", "openai", 2048, 50)
    insert_records(user, _repeats(10, "gpt-4o", cost=round(2 * listed, 9)))  # a price twice the list
    [rec] = _optimize(user, ["prompt_caching"])["recommendations"]
    assert rec["details"][0]["saving_usd"] == pytest.approx(2 * 9 * 2048 * (2.5e-6 - 1.25e-6), abs=1e-9)


def test_a_model_without_a_cache_read_price_is_named(database):
    user = make_user()
    insert_records(user, _repeats(10, "gpt-4-turbo"))
    result = _optimize(user, ["prompt_caching"])
    assert result["recommendations"] == []
    assert result["not_recommended"] == [{"lever": "prompt_caching", "details": {},
                                          "reason": "The catalog has no cache-read price for gpt-4-turbo."}]


def test_prompt_caching_winners_are_listed_by_saving_next_to_a_named_loser(database):
    user = make_user()
    insert_records(user, _repeats(10, "gpt-4o", feature="small") + _repeats(30, "gpt-4o", feature="large")
                   + _repeats(3, "gpt-4-turbo", feature="legacy"))
    result = _optimize(user, ["prompt_caching"])
    [rec] = result["recommendations"]
    assert [(d["feature"], d["reads"]) for d in rec["details"]] == [("large", 29), ("small", 9)]
    assert rec["evidence"]["records"] == 38
    assert [n["reason"] for n in result["not_recommended"]] == [
        "The catalog has no cache-read price for gpt-4-turbo."]


def test_response_caching_shows_five_sample_repeats(database):
    user = make_user()
    rows = [row for feature in ("a", "b", "c") for row in _repeats(4, "gpt-4o", feature=feature)]
    insert_records(user, rows)
    [rec] = _optimize(user, ["response_caching"])["recommendations"]
    hits = {feature: [r["request_id"] for r in rows if r["feature"] == feature][1:] for feature in ("a", "b", "c")}
    firsts_and_lasts = sorted(ids[i] for ids in hits.values() for i in (0, -1))
    assert rec["evidence"]["sample_request_ids"] == firsts_and_lasts[:5]
    assert rec["evidence"]["records"] == 9


def test_response_caching_over_a_day_when_nothing_repeats_within_an_hour(database):
    user = make_user()
    insert_records(user, [record(START + timedelta(hours=2 * i), feature=f, prompt_hash=f"{f}-q")
                          for f in ("x", "y") for i in range(3)])
    [rec] = optimize(user, START, END, emitter=Emitter(), levers=["response_caching"]).to_dict()["recommendations"]
    one = record(T)["cost_usd"]
    assert rec["details"] == [{"feature": "x", "model": "gpt-4o", "repeats": 2, "saving_usd": pytest.approx(2 * one)},
                              {"feature": "y", "model": "gpt-4o", "repeats": 2, "saving_usd": pytest.approx(2 * one)}]
    assert rec["monthly_savings_usd"] == pytest.approx(4 * one * 30, abs=1e-9)
    assert f"${4 * one * 30:,.2f}/month (4 repeats in the range)" in rec["assumptions"][2]


def test_the_catalog_rates_these_cases_assume():
    gpt4o, turbo = catalog().lookup("gpt-4o"), catalog().lookup("gpt-4-turbo")
    assert (gpt4o.input, gpt4o.cache_read, gpt4o.cache_write) == (2.5e-6, 1.25e-6, None)
    assert turbo.cache_read is None
