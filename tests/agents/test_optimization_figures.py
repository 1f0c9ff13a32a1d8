"""The optimization figures a user acts on, pinned to the cent: per-feature details, the batch lever's
choice of features and cells, several levers on one pair, and savings too small to present."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from shared.agents.optimization import optimize
from shared.agents.pipeline.events import Emitter
from shared.pricing import catalog
from tests.agents.dataopt_records import catalog_cost, insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 2)  # one day: monthly = 30 x the day
T = datetime(2026, 11, 1, 8)
HAIKU = {"model": "claude-haiku-4-5", "provider": "anthropic", "prompt_tokens": 2000, "completion_tokens": 300}
HAIKU_LIST = 2000 * 1e-6 + 300 * 5e-6         # $0.0035 a request at the catalog's standard rates
HAIKU_BATCH = 2000 * 5e-7 + 300 * 2.5e-6      # $0.00175 at its batch rates
NO_FEATURE_WAITS = ("No feature looks latency-tolerant: none is named for offline work and none is already "
                    "slower than 20,000 ms on average.")


def _optimize(user_id, levers=None, start=START, end=END):
    return optimize(user_id, start, end, emitter=Emitter(), levers=levers).to_dict()


def _only(result, lever):
    recs = [r for r in result["recommendations"] if r["lever"] == lever]
    assert len(recs) == 1, result
    return recs[0]


def _rows(feature, count, start=T, **fields):
    return [record(start + timedelta(seconds=i), feature=feature, **{**HAIKU, **fields}) for i in range(count)]


def test_cells_that_cannot_move_to_batch_do_not_hide_the_ones_after_them(database):
    user = make_user()
    insert_records(user, [
        *_rows("analytics", 5, model="mystery-llm", provider="acme", cost=0.5),    # not in the catalog
        *_rows("archive_export", 10, is_batch=True),                               # already batch
        *_rows("backfill", 10, cost=0.0),                                          # cost nothing
        *_rows("bulk_enrich", 10, model="gpt-4-turbo", provider="openai"),         # no batch rates
        *_rows("chat", 10),                                                        # must answer live
        *_rows("nightly_summaries", 200),
    ])
    result = _optimize(user, ["batch"])
    rec = _only(result, "batch")
    saving = 200 * (HAIKU_LIST - HAIKU_BATCH)
    assert rec["monthly_savings_usd"] == pytest.approx(saving * 30, abs=1e-9)
    assert rec["title"] == "Send nightly_summaries through the batch API"
    assert rec["evidence"]["records"] == 200 and rec["confidence"] == 0.7
    assert rec["details"] == [{"feature": "nightly_summaries", "model": "claude-haiku-4-5", "records": 200,
                               "saving_usd": pytest.approx(saving, abs=1e-9),
                               "monthly_saving_usd": pytest.approx(saving * 30, abs=1e-6),
                               "why": "its name describes offline work"}]
    assert "(nightly_summaries: its name describes offline work)" in rec["method"]
    assert result["not_recommended"] == [{"lever": "batch", "details": {},
                                          "reason": "The catalog has no batch prices for gpt-4-turbo."}]


def test_a_slow_feature_can_wait_for_a_batch_at_lower_confidence(database):
    user = make_user()
    insert_records(user, [
        *_rows("transcribe", 300, latency_ms=20_000),     # exactly the threshold
        *_rows("translate", 100, latency_ms=19_999),      # just under it
        *_rows("chat_history", 100, latency_ms=45_000),   # slow, but someone waits for it
        *_rows("nightly_summaries", 100, latency_ms=900),
    ])
    rec = _only(_optimize(user, ["batch"]), "batch")
    saving = HAIKU_LIST - HAIKU_BATCH
    assert rec["monthly_savings_usd"] == pytest.approx(400 * saving * 30, abs=1e-9)
    assert rec["title"] == "Send nightly_summaries, transcribe through the batch API"
    assert rec["confidence"] == 0.51  # (300 x 0.45 + 100 x 0.7) / 400, weighted by dollars saved
    assert rec["evidence"]["records"] == 400
    assert ("(nightly_summaries: its name describes offline work; transcribe: its mean latency is already "
            "20,000 ms)") in rec["method"]
    assert [(d["feature"], d["records"], d["why"]) for d in rec["details"]] == [
        ("transcribe", 300, "its mean latency is already 20,000 ms"),
        ("nightly_summaries", 100, "its name describes offline work")]
    assert [d["saving_usd"] for d in rec["details"]] == [pytest.approx(300 * saving, abs=1e-9),
                                                         pytest.approx(100 * saving, abs=1e-9)]


def test_no_feature_that_can_wait_is_said_plainly(database):
    user = make_user()
    insert_records(user, _rows("translate", 10, latency_ms=19_999) + _rows("support_chat", 10, latency_ms=60_000))
    result = _optimize(user, ["batch"])
    assert result["recommendations"] == []
    assert result["not_recommended"] == [{"lever": "batch", "reason": NO_FEATURE_WAITS, "details": {}}]


def test_response_caching_details_per_feature(database):
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), feature="faq", prompt_hash="faq-1") for i in range(10)]
                   + [record(T + timedelta(minutes=i), feature="search", model="gpt-4o-mini", prompt_hash="s")
                      for i in range(4)])
    faq, search = record(T)["cost_usd"], record(T, model="gpt-4o-mini")["cost_usd"]
    rec = _only(_optimize(user, ["response_caching"]), "response_caching")
    assert rec["details"] == [
        {"feature": "faq", "model": "gpt-4o", "repeats": 9, "saving_usd": pytest.approx(9 * faq, abs=1e-12)},
        {"feature": "search", "model": "gpt-4o-mini", "repeats": 3, "saving_usd": pytest.approx(3 * search, abs=1e-12)}]
    assert rec["evidence"]["records"] == 12
    assert rec["monthly_savings_usd"] == pytest.approx((9 * faq + 3 * search) * 30, abs=1e-6)


def test_routing_details_per_move(database):
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), model="claude-sonnet-4-5", provider="anthropic",
                                 feature="support", prompt_tokens=1000, completion_tokens=200) for i in range(100)])
    now, after = catalog_cost("claude-sonnet-4-5", "anthropic", 1000, 200), 1000 * 2e-6 + 200 * 1e-5
    rec = _only(_optimize(user, ["model_routing"]), "model_routing")
    assert rec["details"] == [{
        "feature": "support", "from_model": "claude-sonnet-4-5", "to_model": "claude-sonnet-5",
        "relation": "same_provider", "tier": "balanced", "batch": False, "records": 100,
        "saving_usd": pytest.approx(100 * (now - after), abs=1e-9), "cost_usd": pytest.approx(100 * now, abs=1e-9)}]


def test_deprecation_details_per_move(database):
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), model="gpt-4-turbo", prompt_tokens=1000,
                                 completion_tokens=200) for i in range(100)])
    now, after = 1000 * 1e-5 + 200 * 3e-5, 1000 * 4e-6 + 200 * 2e-5
    rec = _only(_optimize(user, ["model_deprecation"]), "model_deprecation")
    assert rec["details"] == [{
        "model": "gpt-4-turbo", "successor": "gpt-5.6-sol", "deprecated_on": "2026-10-23", "records": 100,
        "cost_usd": pytest.approx(100 * now, abs=1e-9), "successor_cost_usd": pytest.approx(100 * after, abs=1e-9),
        "saving_usd": pytest.approx(100 * (now - after), abs=1e-9)}]
    assert rec["confidence"] == 0.85
    assert rec["title"] == "Move off deprecated models to their cheaper successors"


def test_several_levers_on_one_pair_combine_multiplicatively(database):
    user = make_user()
    # One pair hit by four levers: 100 identical prompts a minute apart (response and prompt caching), on a
    # model with a cheaper same-tier sibling (routing), for a feature named for offline work (batch).
    insert_records(user, [record(T + timedelta(minutes=i), model="claude-sonnet-4-5", provider="anthropic",
                                 feature="nightly_report", prompt_tokens=2048, completion_tokens=200,
                                 prompt_hash="same") for i in range(100)])
    insert_records(user, [record(T, model="mystery-llm", provider="acme", feature="other", cost=0.5)])
    paid = 100 * catalog_cost("claude-sonnet-4-5", "anthropic", 2048, 200)
    result = _optimize(user)
    by_lever = {r["lever"]: r["monthly_savings_usd"] / 30 for r in result["recommendations"]}
    assert list(by_lever) == ["model_routing", "response_caching", "prompt_caching", "batch"]
    fraction = {lever: saving / paid for lever, saving in by_lever.items()}
    assert fraction["response_caching"] == pytest.approx(0.99, abs=1e-9)
    assert fraction["batch"] == pytest.approx(0.5, abs=1e-9)
    assert fraction["model_routing"] == pytest.approx(1 - (2048 * 2e-6 + 200 * 1e-5) / (2048 * 3e-6 + 200 * 1.5e-5),
                                                      abs=1e-9)
    # caching: the larger of the two; then routing and batch each on what is left; the other pair untouched
    kept = (1 - 0.99) * (1 - fraction["model_routing"]) * (1 - 0.5)
    assert result["total_monthly_savings_usd"] == pytest.approx(paid * (1 - kept) * 30, abs=1e-6)
    assert result["spend_usd"] == pytest.approx(paid + 0.5, abs=1e-9)


def test_a_saving_that_rounds_to_nothing_is_not_presented(database):
    user = make_user()
    rows = [record(T + timedelta(minutes=i), model="gpt-4o", cost=None) for i in range(19)]
    rows.append(record(T, model="gpt-4-turbo", prompt_tokens=0, completion_tokens=0, cost=0.000001))
    insert_records(user, rows)
    result = _optimize(user, ["model_deprecation"], end=START + timedelta(days=3))
    assert result["recommendations"] == [] and result["total_monthly_savings_usd"] == 0.0
    [note] = result["not_recommended"]
    assert note["lever"] == "model_deprecation"
    assert note["reason"] == ("Move off deprecated models to their cheaper successors: the saving found comes to "
                              "less than $0.000001 a month, so there is nothing to change.")


def test_the_catalog_rates_these_figures_assume():
    sonnet, sonnet5, haiku = (catalog().lookup(m) for m in ("claude-sonnet-4-5", "claude-sonnet-5", "claude-haiku-4-5"))
    assert (sonnet.input, sonnet.output, sonnet5.input, sonnet5.output) == (3e-6, 1.5e-5, 2e-6, 1e-5)
    assert (haiku.input, haiku.output, haiku.batch_input, haiku.batch_output) == (1e-6, 5e-6, 5e-7, 2.5e-6)
    assert catalog().lookup("gpt-4-turbo").batch_input is None


def test_max_tokens_from_four_times_p99_and_priced_on_requests_not_sent_as_batch(database):
    user = make_user()
    mini = {"model": "gpt-4o-mini", "provider": "openai", "prompt_tokens": 100}
    insert_records(user, [
        *[record(T + timedelta(seconds=i), feature="a_chat", completion_tokens=100, **mini) for i in range(50)],
        *[record(T + timedelta(seconds=i), feature="b_tight", completion_tokens=100, max_tokens=399, **mini)
          for i in range(200)],
        *[record(T + timedelta(seconds=i), feature="c_edge", completion_tokens=100, max_tokens=400, **mini)
          for i in range(200)],
        *[record(T + timedelta(hours=1, seconds=i), feature="c_edge", completion_tokens=3000, max_tokens=400,
                 **mini) for i in range(2)],
        # the same feature's batch requests: more dollars, but their rates are not the ones a cap saves at
        *[record(T + timedelta(seconds=i), feature="c_edge", completion_tokens=100, max_tokens=400, is_batch=True,
                 **mini) for i in range(600)],
    ])
    [rec] = _optimize(user, ["max_tokens"])["recommendations"]
    # p99 of 802 outputs is 100, so 399 is under 4x and 400 is not; cap 192
    assert [(d["feature"], d["proposed_max_tokens"], d["runaway_tokens"]) for d in rec["details"]] == [
        ("c_edge", 192, 2 * (3000 - 192))]
    assert rec["details"][0]["saving_usd"] == pytest.approx(2 * (3000 - 192) * 6e-7, abs=1e-12)
