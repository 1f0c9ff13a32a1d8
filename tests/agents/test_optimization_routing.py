"""Model routing and deprecation: which target each pair moves to, and why the others do not move.

Each case is chosen from the catalog's rates (pinned in the last test) so that exactly one target wins.
"""
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


def _rows(count, model, provider, feature="work", prompt=1000, completion=200, **extra):
    return [record(T + timedelta(seconds=i), model=model, provider=provider, feature=feature, prompt_tokens=prompt,
                   completion_tokens=completion, **extra) for i in range(count)]


def _moves(result):
    [rec] = result["recommendations"]
    return [(d["feature"], d["from_model"], d["to_model"], d["relation"]) for d in rec["details"]], rec


def test_cross_provider_when_the_same_provider_has_nothing_cheaper(database):
    user = make_user()
    insert_records(user, _rows(10, "gemini/gemini-3.6-flash", "gemini"))
    moves, rec = _moves(_optimize(user, ["model_routing"]))
    # gemini's other balanced models cost the same; mistral-large-3 and -latest tie on price, the name decides
    assert moves == [("work", "gemini/gemini-3.6-flash", "mistral/mistral-large-3", "cross_provider")]
    now, after = 1000 * 7.5e-7 + 200 * 3.75e-6, 1000 * 5e-7 + 200 * 1.5e-6
    assert rec["monthly_savings_usd"] == pytest.approx(10 * (now - after) * 30, abs=1e-9)
    assert rec["confidence"] == 0.6


def test_one_tier_down_only_for_short_outputs_from_moderate_prompts(database):
    # percentiles come from histogram bins: 260 and 8064 are the first bins past 256 and 8000
    user = make_user()
    insert_records(user, _rows(20, "mistral/mistral-large-3", "mistral", "classify", prompt=8000, completion=256)
                   + _rows(20, "mistral/mistral-large-3", "mistral", "draft", prompt=1000, completion=260)
                   + _rows(20, "mistral/mistral-large-3", "mistral", "digest", prompt=8064, completion=100))
    moves, rec = _moves(_optimize(user, ["model_routing"]))
    assert moves == [("classify", "mistral/mistral-large-3", "claude-haiku-5-5", "lower_tier")]
    now, after = 8000 * 5e-7 + 256 * 1.5e-6, 8000 * 1e-7 + 256 * 5e-7
    assert rec["monthly_savings_usd"] == pytest.approx(20 * (now - after) * 30, abs=1e-9)
    assert rec["confidence"] == 0.4 and rec["details"][0]["tier"] == "balanced"


def test_a_target_must_hold_the_longest_output(database):
    user = make_user()
    insert_records(user, _rows(1, "gpt-4.1-mini", "openai", "fits", completion=128_000)
                   + _rows(1, "gpt-4.1-mini", "openai", "too_long", completion=128_001))
    moves, _ = _moves(_optimize(user, ["model_routing"]))
    assert sorted(moves) == [("fits", "gpt-4.1-mini", "claude-haiku-5-5", "cross_provider"),
                             ("too_long", "gpt-4.1-mini", "mistral/mistral-small-2603", "cross_provider")]


def test_a_target_must_hold_the_longest_prompt(database):
    user = make_user()
    insert_records(user, _rows(1, "gpt-4.1-mini", "openai", "fits", prompt=1_000_000, completion=10)
                   + _rows(1, "gpt-4.1-mini", "openai", "too_long", prompt=1_000_001, completion=10))
    moves, _ = _moves(_optimize(user, ["model_routing"]))
    assert moves == [("fits", "gpt-4.1-mini", "claude-haiku-5-5", "cross_provider")]


def test_targets_with_a_deprecation_date_are_never_proposed(database):
    user = make_user()
    insert_records(user, _rows(10, "gpt-5.4-nano", "openai"))
    moves, rec = _moves(_optimize(user, ["model_routing"]))
    assert moves == [("work", "gpt-5.4-nano", "gpt-6-luna", "same_provider")]  # gpt-5-nano is cheaper but retiring
    assert rec["title"] == "Route work from gpt-5.4-nano to gpt-6-luna"


def test_a_move_saving_under_a_tenth_is_not_worth_it(database):
    user = make_user()
    insert_records(user, _rows(10, "gemini/gemini-2.5-flash-lite", "gemini", prompt=10_000, completion=10))
    result = _optimize(user, ["model_routing"])
    assert result["recommendations"] == []  # ministral-3-3b would save 0.3%
    assert result["not_recommended"][0]["reason"] == (
        "No feature has a cheaper model of the same capability tier that fits its prompts and outputs.")


def test_batch_requests_are_routed_at_batch_rates(database):
    user = make_user()
    rows = _rows(10, "claude-sonnet-4-5", "anthropic", "nightly", is_batch=True)
    insert_records(user, rows)
    _, rec = _moves(_optimize(user, ["model_routing"]))
    paid = 10 * catalog_cost("claude-sonnet-4-5", "anthropic", 1000, 200, batch=True)
    assert rec["details"][0]["batch"] is True and rec["details"][0]["to_model"] == "claude-sonnet-5"
    assert rec["monthly_savings_usd"] == pytest.approx(paid / 3 * 30, abs=1e-9)  # 2/3 of sonnet 4.5's batch price


def test_several_moves_are_listed_by_saving(database):
    user = make_user()
    insert_records(user, _rows(10, "gemini/gemini-3.6-flash", "gemini", "small")
                   + _rows(100, "claude-sonnet-4-5", "anthropic", "big"))
    moves, rec = _moves(_optimize(user, ["model_routing"]))
    assert [m[0] for m in moves] == ["big", "small"]
    assert rec["title"] == "Route 2 feature/model pairs to cheaper models of their tier"
    assert rec["evidence"]["records"] == 110
    assert "big: claude-sonnet-4-5 → claude-sonnet-5 (same provider, $" in rec["method"]


def test_a_deprecated_successor_is_followed_to_the_first_live_one(database):
    user = make_user()
    insert_records(user, _rows(10, "gpt-5-chat", "openai"))
    result = _optimize(user, ["model_deprecation"])
    assert result["recommendations"] == []
    [note] = result["not_recommended"]
    now, after = 1000 * 1.25e-6 + 200 * 1e-5, 1000 * 4e-6 + 200 * 2e-5
    assert note["details"] == {"model": "gpt-5-chat", "successor": "gpt-5.6-sol",
                               "monthly_cost_increase_usd": pytest.approx(10 * (after - now) * 30, abs=1e-6)}


def test_a_deprecated_model_without_a_successor_is_named(database):
    user = make_user()
    insert_records(user, _rows(3, "gpt-3.5-turbo-16k", "openai"))
    result = _optimize(user, ["model_deprecation"])
    day = catalog().lookup("gpt-3.5-turbo-16k").deprecation_date.isoformat()
    assert result["not_recommended"] == [{
        "lever": "model_deprecation", "details": {"model": "gpt-3.5-turbo-16k", "deprecated_on": day},
        "reason": f"gpt-3.5-turbo-16k was deprecated on {day} and the catalog names no successor to price."}]


def test_the_catalog_rates_these_cases_assume():
    rates = {name: (p.input, p.output, p.max_input_tokens, p.max_output_tokens, p.deprecation_date is not None)
             for name in ("gemini/gemini-3.6-flash", "mistral/mistral-large-3", "claude-haiku-5-5",
                          "mistral/mistral-small-2603", "gpt-6-luna", "gpt-5-nano", "mistral/ministral-3-3b-2512")
             for p in [catalog().lookup(name)]}
    assert rates == {
        "gemini/gemini-3.6-flash": (7.5e-7, 3.75e-6, 1048576, 65536, False),
        "mistral/mistral-large-3": (5e-7, 1.5e-6, 262144, 262144, False),
        "claude-haiku-5-5": (1e-7, 5e-7, 1_000_000, 128_000, False),
        "mistral/mistral-small-2603": (1.5e-7, 6e-7, 262144, 262144, False),
        "gpt-6-luna": (1e-7, 5e-7, 922000, 128000, False),
        "gpt-5-nano": (5e-8, 4e-7, 272000, 128000, True),
        "mistral/ministral-3-3b-2512": (1e-7, 1e-7, 131072, 131072, False),
    }
    chain = [catalog().lookup(m).successor_model for m in ("gpt-5-chat", "gpt-5.2-chat-latest")]
    assert chain == ["gpt-5.2-chat-latest", "gpt-5.6-sol"]


def test_deprecated_cells_of_one_model_add_up_at_what_each_paid(database):
    user = make_user()
    listed = 1000 * 1e-5 + 200 * 3e-5           # gpt-4-turbo: $0.016 a request
    successor = 1000 * 4e-6 + 200 * 2e-5        # gpt-5.6-sol: $0.008
    insert_records(user, _rows(1, "gpt-3.5-turbo-16k", "openai", "a_old")      # no successor: named, skipped
                   + _rows(2, "gpt-4o", "openai", "b_live")                    # not deprecated
                   + _rows(10, "gpt-4-turbo", "openai", "c_list")
                   + _rows(5, "gpt-4-turbo", "openai", "d_negotiated", cost=round(listed / 2, 9)))
    result = _optimize(user, ["model_deprecation"])
    [rec] = result["recommendations"]
    assert rec["details"] == [{
        "model": "gpt-4-turbo", "successor": "gpt-5.6-sol", "deprecated_on": "2026-10-23", "records": 15,
        "cost_usd": pytest.approx(10 * listed + 5 * listed / 2, abs=1e-9),
        "successor_cost_usd": pytest.approx(10 * successor + 5 * successor / 2, abs=1e-9),
        "saving_usd": pytest.approx(12.5 * (listed - successor), abs=1e-9)}]
    assert [n["details"]["model"] for n in result["not_recommended"]] == ["gpt-3.5-turbo-16k"]
