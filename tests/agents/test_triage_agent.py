"""The triage agent end to end: data sufficiency on both backends, the user's feature tags, a database that is
down, the context's range, validation, cancellation and the exact events it emits."""
from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert

from shared.agents.pipeline.events import Emitter, RunCancelled
from shared.agents.triage.agent import triage
from shared.agents.triage.sufficiency import SUFFICIENT_RECORDS, look_up
from shared.db import reset_engine, transaction
from shared.db.schema import usage_records
from shared.errors import ValidationFailed
from shared.pricing import catalog
from tests.agents.triage_questions import NOW
from tests.support.users import create_user

NAIVE_NOW = NOW.replace(tzinfo=None)  # 2026-10-20 14:30, a Tuesday


def add_records(user_id: str, timestamps: list[datetime], feature: str = "chat", model: str = "gpt-4o") -> None:
    # Through the table's column types, so SQLite stores timestamps in the one format every query compares.
    rows = [{"user_id": user_id, "request_id": f"req-{uuid.uuid4().hex}", "timestamp": ts, "provider": "openai",
             "model": model, "feature": feature, "prompt_tokens": 100, "completion_tokens": 20,
             "imported_at": NAIVE_NOW} for ts in timestamps]
    with transaction() as conn:
        conn.execute(insert(usage_records), rows)


def spread(count: int, days: int, end: datetime = NAIVE_NOW) -> list[datetime]:
    """``count`` timestamps spread evenly over the ``days`` days before ``end``."""
    step = timedelta(days=days) / count
    return [end - timedelta(seconds=1) - step * i for i in range(count)]


def ask(message: str, user_id: str | None, **kwargs):
    emitter = Emitter()
    return triage(message, emitter=emitter, user_id=user_id, now=NOW, **kwargs), emitter


def test_no_records_in_range_is_none_and_only_the_report_answers(database):
    user = create_user("triage").id
    add_records(user, [NAIVE_NOW - timedelta(days=40)])  # before the range
    result, _ = ask("how can we cut costs over the last 7 days?", user)
    assert result.category == "cost_optimization"
    assert result.data_sufficiency == "none"
    assert result.next_agents == ["report"]
    assert "data none: no usage records in the range" in result.reasons


def test_few_records_are_partial(database):
    user = create_user("triage").id
    add_records(user, spread(5, 7))
    result, _ = ask("break down spend by model for the last 7 days", user)
    assert result.data_sufficiency == "partial"
    assert result.next_agents == ["data", "report"]
    assert "data partial: 5 records in the range (fewer than 100)" in result.reasons


def test_enough_records_across_the_range_are_sufficient(database):
    user = create_user("triage").id
    add_records(user, spread(SUFFICIENT_RECORDS + 20, 7))
    result, emitter = ask("how can we save money in the last 7 days?", user)
    assert result.data_sufficiency == "sufficient"
    assert result.next_agents == ["data", "optimization", "report"]
    completed = [e for e in emitter.events if e.type == "tool_completed" and e.payload["tool"] == "record_count"]
    summary = completed[0].payload["summary"]
    assert (summary["available"], summary["records"], summary["at_least"]) == (True, 100, True)
    # 8 calendar dates are touched by a 7-day rolling range; coverage is capped at the range's days.
    assert (summary["days_covered"], summary["range_days"], summary["feature_tags"]) == (7, 7, 1)


def test_many_records_on_few_days_are_partial(database):
    user = create_user("triage").id
    add_records(user, [NAIVE_NOW - timedelta(hours=1, minutes=i) for i in range(SUFFICIENT_RECORDS + 50)])
    result, _ = ask("spend per feature, last 30 days", user)
    assert result.data_sufficiency == "partial"
    assert "data partial: records span 1 of the range's 30 days (under 50%)" in result.reasons


def test_only_the_users_own_records_count(database):
    owner, other = create_user("triage").id, create_user("triage").id
    add_records(other, spread(SUFFICIENT_RECORDS + 10, 7), feature="other-team-secret")
    result, _ = ask("break down spend by model for the last 7 days", owner)
    assert result.data_sufficiency == "none"
    assert result.entities["features"] == []
    coverage = look_up(owner, NOW - timedelta(days=7), NOW, NOW)
    assert (coverage.records, coverage.feature_tags) == (0, ())


def test_range_end_is_exclusive_and_start_inclusive(database):
    user = create_user("triage").id
    yesterday = datetime(2026, 10, 19)
    add_records(user, [yesterday, yesterday + timedelta(days=1)])  # 00:00 yesterday in, 00:00 today out
    coverage = look_up(user, yesterday, yesterday + timedelta(days=1), NOW)
    assert (coverage.records, coverage.first, coverage.last) == (1, yesterday, yesterday)
    assert (coverage.days_covered, coverage.range_days) == (1, 1)


def test_the_users_feature_tags_are_read_and_matched(database):
    user = create_user("triage").id
    for feature in ("support-bot", "chat", "doc_summarizer", "Zeta"):
        add_records(user, spread(2, 3), feature=feature)
    coverage = look_up(user, NOW - timedelta(days=7), NOW, NOW)
    assert sorted(coverage.feature_tags) == sorted(["support-bot", "chat", "doc_summarizer", "Zeta"])
    result, _ = ask("why is the support bot so slow, and what about doc summarizer?", user)
    assert result.entities["features"] == ["doc_summarizer", "support-bot"]
    assert result.category == "performance"


@pytest.fixture
def closed_port_database():
    """A PostgreSQL URL on a loopback port nothing listens on: every connection is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    os.environ["DATABASE_URL"] = f"postgresql+pg8000://postgres@127.0.0.1:{port}/test"
    os.environ["DB_CONNECT_TIMEOUT_S"] = "2"
    reset_engine()


@pytest.fixture
def silent_database():
    """A loopback server that accepts connections and never answers, as a hung database host does."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def hold():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    os.environ["DATABASE_URL"] = f"postgresql+pg8000://postgres@127.0.0.1:{listener.getsockname()[1]}/test"
    os.environ["DB_CONNECT_TIMEOUT_S"] = "1"
    reset_engine()
    yield
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def _assert_answers_without_the_database(result, emitter):
    assert result.category == "cost_optimization"
    assert result.data_sufficiency == "unknown"
    assert result.next_agents == ["data", "optimization", "report"]
    assert "data sufficiency unknown: the database is unavailable" in result.reasons
    tool = [e.payload for e in emitter.events if e.type == "tool_completed" and e.payload["tool"] == "record_count"]
    assert tool[0]["summary"]["available"] is False
    assert tool[0]["summary"]["reason"]
    assert [e.type for e in emitter.events][-1] == "agent_completed"


def test_a_refused_database_leaves_sufficiency_unknown(closed_port_database):
    result, emitter = ask("how do we reduce our openai bill?", str(uuid.uuid4()))
    _assert_answers_without_the_database(result, emitter)
    assert result.entities["providers"] == ["openai"]


def test_a_silent_database_leaves_sufficiency_unknown_within_the_connect_timeout(silent_database):
    started = time.monotonic()
    result, emitter = ask("how do we reduce our openai bill?", str(uuid.uuid4()))
    _assert_answers_without_the_database(result, emitter)
    assert time.monotonic() - started < 10


def test_without_a_user_there_is_no_record_lookup():
    result, emitter = ask("how much did we spend yesterday?", None)
    assert result.data_sufficiency == "unknown"
    assert "record_count" not in [e.payload.get("tool") for e in emitter.events]
    assert result.next_agents == ["data", "report"]


def test_events_in_order_with_a_user(database):
    user = create_user("triage").id
    add_records(user, spread(3, 7))
    result, emitter = ask("compare gpt-4o and claude sonnet 4.5 last week", user)
    shape = [(e.type, e.payload.get("tool")) for e in emitter.events]
    assert shape == [
        ("agent_started", None),
        ("tool_executing", "catalog_match"), ("tool_completed", "catalog_match"),
        ("agent_thinking", None),
        ("tool_executing", "record_count"), ("tool_completed", "record_count"),
        ("agent_thinking", None),
        ("agent_completed", None),
    ]
    events = emitter.events
    assert {e.agent for e in events} == {"triage"}
    assert [e.event_id for e in events] == sorted(e.event_id for e in events)
    assert events[0].payload == {"input": "compare gpt-4o and claude sonnet 4.5 last week"}
    assert events[1].payload["args"] == {"catalog_models": len(catalog().models)}
    assert events[2].payload["summary"] == {"models": ["gpt-4o", "claude-sonnet-4-5"],
                                            "providers": ["openai", "anthropic"]}
    assert isinstance(events[2].payload["duration_ms"], float)
    assert events[3].payload["thought"].startswith('time range "last week": 2026-10-12T00:00:00+00:00')
    assert events[4].payload["args"] == {"start": "2026-10-12T00:00:00+00:00", "end": "2026-10-19T00:00:00+00:00"}
    assert events[6].payload["thought"].startswith("Read as model_selection (compare_models): model_selection ")
    assert events[7].payload["result"] == result.to_dict()
    assert events[7].payload["summary"] == (f"model_selection (compare_models), confidence {result.confidence:.2f}, "
                                            "data partial")


def test_the_result_is_json_safe_and_follows_the_contract():
    result, _ = ask("can we stay under $500/month on gpt-4o by cutting 30%?", None)
    body = json.loads(json.dumps(result.to_dict()))
    assert set(body) == {"category", "intent", "entities", "confidence", "reasons", "data_sufficiency",
                         "next_agents", "time_range_source"}
    assert set(body["entities"]) == {"models", "providers", "features", "time_range", "budget_usd", "percentage"}
    assert body["category"] == "cost_optimization" and body["intent"] == "meet_budget"
    assert body["entities"]["budget_usd"] == 500.0 and body["entities"]["percentage"] == 30.0
    assert body["entities"]["time_range"] == {"start": "2026-09-20T14:30:00+00:00", "end": "2026-10-20T14:30:00+00:00"}
    assert body["time_range_source"] == "default"
    assert 0 < body["confidence"] <= 1
    assert (result.start, result.end) == (NOW - timedelta(days=30), NOW)


@pytest.mark.parametrize("message,category,next_agents", [
    ("what can you do?", "help", []),
    ("tell me a joke", "out_of_scope", []),
    ("where does our money go?", "spend_breakdown", ["data", "report"]),
    ("is latency getting worse?", "performance", ["data", "report"]),
    ("is spend growing week over week?", "usage_trends", ["data", "report"]),
    ("should we use prompt caching?", "caching", ["data", "optimization", "report"]),
    ("could the nightly job use the batch api?", "batching", ["data", "optimization", "report"]),
    ("which model should we switch to?", "model_selection", ["data", "optimization", "report"]),
    ("how do we save money?", "cost_optimization", ["data", "optimization", "report"]),
])
def test_next_agents_follow_the_category(message, category, next_agents):
    result, _ = ask(message, None)
    assert (result.category, result.next_agents) == (category, next_agents)


def test_help_and_out_of_scope_skip_every_agent_even_without_data(database):
    user = create_user("triage").id
    for message, category in (("help", "help"), ("what's the weather in Paris?", "out_of_scope")):
        result, _ = ask(message, user)
        assert (result.category, result.data_sufficiency, result.next_agents) == (category, "none", [])


def test_a_time_range_in_the_context_wins_over_the_message(database):
    user = create_user("triage").id
    add_records(user, [datetime(2026, 8, 10, 12)])
    result, emitter = ask("break down spend for last week", user,
                          time_range=(datetime(2026, 8, 1), datetime(2026, 9, 1)))
    assert result.time_range_source == "context"
    assert result.entities["time_range"] == {"start": "2026-08-01T00:00:00+00:00", "end": "2026-09-01T00:00:00+00:00"}
    assert result.data_sufficiency == "partial"
    record_count = [e for e in emitter.events if e.payload.get("tool") == "record_count"][0]
    assert record_count.payload["args"] == result.entities["time_range"]


def test_relative_phrases_refer_to_the_given_now():
    result = triage("yesterday's spend", emitter=Emitter(), now=datetime(2026, 3, 1, 8))
    assert result.entities["time_range"] == {"start": "2026-02-28T00:00:00+00:00", "end": "2026-03-01T00:00:00+00:00"}


def test_a_message_that_is_not_text_is_a_validation_error():
    emitter = Emitter()
    with pytest.raises(ValidationFailed):
        triage(["spend"], emitter=emitter, now=NOW)
    assert emitter.events[-1].payload == {"code": "validation_failed", "message": "The request has invalid fields."}


def test_an_empty_message_is_answered_with_help():
    result, _ = ask("   ", None)
    assert (result.category, result.intent, result.next_agents) == ("help", "explain_capabilities", [])


def test_a_cancelled_run_stops_at_the_first_checkpoint_without_an_error_event():
    emitter = Emitter()
    emitter.cancel.set()
    with pytest.raises(RunCancelled):
        triage("spend by model", emitter=emitter, now=NOW)
    assert [e.type for e in emitter.events] == ["agent_started"]


def test_a_long_message_is_summarised_in_the_started_event():
    result, emitter = ask("where does our money go? " * 200, None)
    assert result.category == "spend_breakdown"
    assert len(emitter.events[0].payload["input"]) == 120
