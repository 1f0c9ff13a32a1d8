"""The data agent on both backends: figures computed by hand, scoping, isolation, events, failures."""
from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest

from shared.agents.data.agent import analyze
from shared.agents.pipeline.events import Emitter, RunCancelled
from shared.db import DatabaseUnavailable
from shared.errors import ValidationFailed
from shared.http import status_of
from tests.agents.dataopt_records import insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 3)
T = datetime(2026, 11, 1, 9)


def _run(user_id, start=START, end=END, **kwargs):
    emitter = Emitter()
    return analyze(user_id, start, end, emitter=emitter, **kwargs), emitter


def test_totals_and_breakdowns_by_hand(database):
    user = make_user()
    insert_records(user, [
        record(T, model="gpt-4o", feature="chat", prompt_tokens=100, completion_tokens=10, cost=0.5),
        record(T + timedelta(hours=1), model="gpt-4o", feature="chat", prompt_tokens=200, completion_tokens=20,
               cost=1.5, cached_tokens=50),
        record(T + timedelta(days=1), model="claude-haiku-4-5", provider="anthropic", feature="summaries",
               prompt_tokens=1000, completion_tokens=100, cost=0.25, status="error"),
        record(T + timedelta(days=1, hours=5), model="unknown-llm", provider="acme", feature="chat",
               prompt_tokens=7, completion_tokens=3, cost=None),
        record(T, model="gpt-4o", feature="chat", prompt_tokens=10, completion_tokens=1, cost=0.25,
               request_count=4),  # an aggregated export row standing for four requests
    ])
    result, _ = _run(user)
    d = result.to_dict()
    assert d["range"] == {"start": "2026-11-01T00:00:00+00:00", "end": "2026-11-03T00:00:00+00:00"}
    assert d["totals"] == {"requests": 8, "cost_usd": 2.5, "prompt_tokens": 1317, "completion_tokens": 134,
                           "cached_tokens": 50, "errors": 1, "error_rate": 0.125, "unpriced_requests": 1}
    assert d["by_model"] == [
        {"model": "gpt-4o", "provider": "openai", "requests": 6, "cost_usd": 2.25, "prompt_tokens": 310,
         "completion_tokens": 31, "share": 0.9},
        {"model": "claude-haiku-4-5", "provider": "anthropic", "requests": 1, "cost_usd": 0.25,
         "prompt_tokens": 1000, "completion_tokens": 100, "share": 0.1},
        {"model": "unknown-llm", "provider": "acme", "requests": 1, "cost_usd": 0.0, "prompt_tokens": 7,
         "completion_tokens": 3, "share": 0.0},
    ]
    assert [(p["provider"], p["requests"], p["cost_usd"]) for p in d["by_provider"]] == [
        ("openai", 6, 2.25), ("anthropic", 1, 0.25), ("acme", 1, 0.0)]
    assert [(f["feature"], f["requests"], f["cost_usd"], f["share"]) for f in d["by_feature"]] == [
        ("chat", 7, 2.25, 0.9), ("summaries", 1, 0.25, 0.1)]
    assert d["by_day"] == [{"day": "2026-11-01", "requests": 6, "cost_usd": 2.25},
                           {"day": "2026-11-02", "requests": 2, "cost_usd": 0.25}]
    hourly = [0] * 24
    hourly[9], hourly[10], hourly[14] = 6, 1, 1
    assert d["hourly_profile"] == hourly


def test_nearest_rank_percentiles_by_hand(database):
    user = make_user()
    rows = [record(T + timedelta(seconds=i), feature="extract", prompt_tokens=i, completion_tokens=101 - i,
                   latency_ms=10 * i) for i in range(1, 101)]
    rows += [record(T, feature="tiny", prompt_tokens=v, completion_tokens=v, latency_ms=None)
             for v in (70, 10, 50, 30, 20, 60, 40)]
    rows.append(record(T, feature="tiny", prompt_tokens=9999, completion_tokens=9999, request_count=5))
    insert_records(user, rows)
    d = _run(user)[0].to_dict()
    assert d["token_percentiles"]["extract"] == {"prompt": {"p50": 50, "p95": 95, "p99": 99},
                                                 "completion": {"p50": 50, "p95": 95, "p99": 99}}
    # 7 values: ranks ceil(3.5) = 4, ceil(6.65) = 7, ceil(6.93) = 7; the aggregated row is left out
    assert d["token_percentiles"]["tiny"] == {"prompt": {"p50": 40, "p95": 70, "p99": 70},
                                              "completion": {"p50": 40, "p95": 70, "p99": 70}}
    # Above 127 values are ranked in bins of 64 per power of two: 500 is a bin of its own (steps of 4
    # in [256, 512)); 950 lies in [944, 952) (steps of 8 in [512, 1024)) and reads as 944.
    assert d["latency_ms"] == {"p50": 500, "p95": 944}


def test_percentiles_read_whole_days_from_the_histograms_and_edges_from_the_records(database, monkeypatch):
    from shared.agents.data import usage_profile
    user = make_user()
    base = datetime(2026, 11, 1)
    insert_records(user, [record(base + timedelta(hours=7 * i, minutes=i), feature=("a", "b")[i % 2],
                                 model=("gpt-4o", "gpt-4o-mini")[i % 3 % 2], prompt_tokens=37 * i + 1,
                                 completion_tokens=(i * 7919) % 3001, latency_ms=None if i % 3 == 0 else 40 * i)
                          for i in range(40)])
    ranges = ((base, base + timedelta(days=12)), (base + timedelta(hours=5), base + timedelta(days=9, hours=3)),
              (base + timedelta(hours=30), base + timedelta(hours=40)))
    for start, end in ranges:
        for filters in ({}, {"models": ["gpt-4o"]}, {"features": ["b"]}):
            kept = analyze(user, start, end, emitter=Emitter(), **filters)
            with monkeypatch.context() as patch:
                patch.setattr(usage_profile, "whole_days", lambda scope: {"day_start": scope.start,
                                                                          "day_end": scope.start})
                binned = analyze(user, start, end, emitter=Emitter(), **filters)
            assert kept.token_percentiles == binned.token_percentiles and kept.latency_ms == binned.latency_ms
            assert kept.profile.runaway == binned.profile.runaway
            assert kept.profile.completion and kept.profile.latency


def test_repeated_prompt_share_counts_records_that_repeat_an_earlier_prompt_to_the_same_model(database):
    user = make_user()
    hashes = ["a", "a", "b", "c", "c", "c", None]
    insert_records(user, [record(T + timedelta(minutes=i), prompt_hash=h, model="gpt-4o-mini" if i == 0 else "gpt-4o")
                          for i, h in enumerate(hashes)])
    # "a" went to two models once each; "c" three times to one: its second and third are repeats.
    assert _run(user)[0].to_dict()["repeated_prompt_share"] == round(2 / 6, 6)


def test_range_is_start_inclusive_end_exclusive_and_filters_apply(database):
    user = make_user()
    insert_records(user, [
        record(START - timedelta(microseconds=1), cost=100.0),
        record(START, cost=1.0),
        record(END - timedelta(microseconds=1), model="gpt-4o-mini", feature="tagging", cost=2.0),
        record(END, cost=1000.0),
    ])
    assert _run(user)[0].totals["cost_usd"] == 3.0
    assert _run(user, models=["gpt-4o-mini"])[0].totals == {
        "requests": 1, "cost_usd": 2.0, "prompt_tokens": 100, "completion_tokens": 50, "cached_tokens": 0,
        "errors": 0, "error_rate": 0.0, "unpriced_requests": 0}
    assert _run(user, features=["chat"])[0].totals["cost_usd"] == 1.0
    assert _run(user, models=["gpt-4o-mini"], features=["chat"])[0].totals["requests"] == 0


def test_empty_range_answers_with_zeros(database):
    user = make_user()
    d = _run(user)[0].to_dict()
    assert d["totals"] == {"requests": 0, "cost_usd": 0.0, "prompt_tokens": 0, "completion_tokens": 0,
                           "cached_tokens": 0, "errors": 0, "error_rate": 0.0, "unpriced_requests": 0}
    assert (d["by_model"], d["by_day"], d["token_percentiles"]) == ([], [], {})
    assert d["latency_ms"] == {"p50": None, "p95": None}
    assert d["repeated_prompt_share"] == 0.0 and d["hourly_profile"] == [0] * 24


def test_another_users_records_never_appear(database):
    alice, bob = make_user("alice"), make_user("bob")
    insert_records(alice, [record(T, cost=1.0, prompt_hash="same")])
    insert_records(bob, [record(T + timedelta(seconds=i), cost=50.0, prompt_hash="same", model="o3",
                                feature="bob-only", latency_ms=99999) for i in range(20)])
    d = _run(alice)[0].to_dict()
    assert d["totals"]["requests"] == 1 and d["totals"]["cost_usd"] == 1.0
    assert [m["model"] for m in d["by_model"]] == ["gpt-4o"]
    assert list(d["token_percentiles"]) == ["chat"]
    assert d["repeated_prompt_share"] == 0.0 and d["latency_ms"] == {"p50": None, "p95": None}


def test_events_follow_the_contract(database):
    user = make_user()
    insert_records(user, [record(T, cost=1.0)])
    result, emitter = _run(user)
    kinds = [(e.type, e.agent, e.payload.get("tool")) for e in emitter.events]
    assert kinds == [
        ("agent_started", "data", None), ("agent_thinking", "data", None),
        ("tool_executing", "data", "aggregate_usage"), ("tool_completed", "data", "aggregate_usage"),
        ("tool_executing", "data", "replay_repeats"), ("tool_completed", "data", "replay_repeats"),
        ("tool_executing", "data", "token_distributions"), ("tool_completed", "data", "token_distributions"),
        ("agent_completed", "data", None),
    ]
    done = emitter.events[-1].payload
    assert done["result"] == result.to_dict()
    assert done["summary"] == "1 request costing $1.00; top model gpt-4o (100.0% of spend)."
    completed = [e.payload for e in emitter.events if e.type == "tool_completed"]
    assert completed[0]["summary"]["requests"] == 1 and completed[0]["duration_ms"] >= 0
    assert emitter.events[2].payload["args"]["start"] == "2026-11-01T00:00:00"


def test_a_timezone_aware_range_is_read_in_utc(database):
    from datetime import timezone
    user = make_user()
    insert_records(user, [record(datetime(2026, 11, 1, 23, 30), cost=1.0)])
    plus_two = timezone(timedelta(hours=2))
    result, _ = _run(user, datetime(2026, 11, 2, 1, 0, tzinfo=plus_two), datetime(2026, 11, 2, 2, 0, tzinfo=plus_two))
    assert result.totals["requests"] == 1 and result.to_dict()["range"]["start"] == "2026-11-01T23:00:00+00:00"


def test_an_empty_range_is_rejected():
    with pytest.raises(ValidationFailed) as raised:
        analyze("u", END, START, emitter=Emitter())
    assert status_of(raised.value) == 422 and raised.value.details == {"fields": {"time_range": "end must be after start"}}


def test_cancelled_run_stops_without_an_error_event(database):
    emitter = Emitter()
    emitter.cancel.set()
    with pytest.raises(RunCancelled):
        analyze(make_user(), START, END, emitter=emitter)
    assert [e.type for e in emitter.events] == ["agent_started"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_down_raises_unavailable_after_an_error_event(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"postgresql+pg8000://postgres@127.0.0.1:{_closed_port()}/test")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "2")
    from shared.db import reset_engine
    reset_engine()
    emitter = Emitter()
    with pytest.raises(DatabaseUnavailable):
        analyze("someone", START, END, emitter=emitter)
    assert [e.type for e in emitter.events] == ["agent_started", "agent_thinking", "agent_error"]
    assert emitter.events[-1].payload == {"code": "database_unavailable", "message": "The database is unavailable."}
