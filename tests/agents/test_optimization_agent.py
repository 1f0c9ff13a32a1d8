"""The optimization agent's contract: events, reuse of the data agent's aggregates, isolation, failures."""
from __future__ import annotations

import socket
from datetime import datetime, timedelta

import pytest

from shared.agents.data.agent import analyze
from shared.agents.optimization import LEVERS, optimize, tiers
from shared.agents.pipeline.events import Emitter, RunCancelled
from shared.db import DatabaseUnavailable, reset_engine
from shared.errors import ValidationFailed
from shared.http import status_of
from shared.pricing import catalog
from tests.agents.dataopt_records import insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 2)
T = datetime(2026, 11, 1, 8)


def _kinds(emitter, agent="optimization"):
    return [(e.type, e.payload.get("tool")) for e in emitter.events if e.agent == agent]


def _busy_user() -> str:
    user = make_user()
    insert_records(user, [record(T + timedelta(seconds=i), prompt_hash="q") for i in range(30)])
    return user


def test_events_with_the_data_agents_aggregates(database):
    user = _busy_user()
    emitter = Emitter()
    data = analyze(user, START, END, emitter=emitter)
    result = optimize(user, START, END, emitter=emitter, data=data)
    assert _kinds(emitter) == [("agent_started", None), ("agent_thinking", None)] + [
        (kind, lever) for lever in LEVERS for kind in ("tool_executing", "tool_completed")] + [
        ("agent_completed", None)]
    done = emitter.events[-1].payload
    assert done["result"] == result.to_dict()
    assert done["summary"].startswith(f"{len(result.recommendations)} recommendation")
    thinking = [e.payload["thought"] for e in emitter.events
                if e.type == "agent_thinking" and e.agent == "optimization"]
    assert thinking == ["Reusing the data agent's aggregates for the same range."]


def test_events_when_it_reads_the_records_itself(database):
    user = _busy_user()
    emitter = Emitter()
    optimize(user, START, END, emitter=emitter, levers=["max_tokens", "response_caching"])
    assert _kinds(emitter) == [
        ("agent_started", None), ("agent_thinking", None),
        ("tool_executing", "aggregate_usage"), ("tool_completed", "aggregate_usage"),
        ("tool_executing", "replay_repeats"), ("tool_completed", "replay_repeats"),
        ("tool_executing", "token_distributions"), ("tool_completed", "token_distributions"),
        ("tool_executing", "response_caching"), ("tool_completed", "response_caching"),
        ("tool_executing", "max_tokens"), ("tool_completed", "max_tokens"),
        ("agent_completed", None)]


def test_data_for_another_range_is_not_reused(database):
    user = _busy_user()
    data = analyze(user, START, END + timedelta(days=1), emitter=Emitter())
    emitter = Emitter()
    optimize(user, START, END, emitter=emitter, data=data, levers=["batch"])
    assert ("tool_executing", "aggregate_usage") in _kinds(emitter)


def test_the_same_answer_with_and_without_the_data_agents_aggregates(database):
    user = _busy_user()
    data = analyze(user, START, END, emitter=Emitter())
    assert (optimize(user, START, END, emitter=Emitter(), data=data).to_dict()
            == optimize(user, START, END, emitter=Emitter()).to_dict())


def test_another_users_repeats_never_count(database):
    alice, bob = make_user("alice"), make_user("bob")
    insert_records(alice, [record(T + timedelta(minutes=i), prompt_hash=f"mine-{i}") for i in range(5)])
    insert_records(bob, [record(T + timedelta(seconds=i), prompt_hash="mine-0", model="gpt-4-turbo",
                                feature="nightly_report", max_tokens=8000) for i in range(200)])
    levers = ["response_caching", "prompt_caching", "batch", "max_tokens", "model_deprecation"]
    result = optimize(alice, START, END, emitter=Emitter(), levers=levers).to_dict()
    assert result["recommendations"] == []
    assert result["spend_usd"] == pytest.approx(5 * record(T)["cost_usd"])
    reasons = {note["lever"]: note["reason"] for note in result["not_recommended"]}
    assert "gpt-4-turbo" not in " ".join(reasons.values()) and "nightly_report" not in " ".join(reasons.values())


def test_no_records_means_no_recommendation(database):
    result = optimize(make_user(), START, END, emitter=Emitter()).to_dict()
    assert result["recommendations"] == [] and result["total_monthly_savings_usd"] == 0.0
    assert result["spend_usd"] == 0.0
    assert result["not_recommended"] == [{"lever": lever, "reason": reason, "details": {}} for lever, reason in [
        ("model_routing", "No feature has a cheaper model of the same capability tier that fits its prompts and "
                          "outputs."),
        ("response_caching", "No priced request repeated an earlier identical prompt to the same model within "
                             "24 hours."),
        ("prompt_caching", "No prompt of at least 1,024 tokens was repeated to the same model within 5 minutes."),
        ("batch", "No feature looks latency-tolerant: none is named for offline work and none is already slower "
                  "than 20,000 ms on average."),
        ("max_tokens", "No feature sets max_tokens far above what it generates (at least 4x its p99 output), or "
                       "the records carry no max_tokens."),
        ("model_deprecation", "No request in this range used a model the catalog marks deprecated."),
    ]]
    assert [n["lever"] for n in result["not_recommended"]] == list(LEVERS)


def test_unknown_levers_are_a_validation_error():
    with pytest.raises(ValidationFailed) as raised:
        optimize("u", START, END, emitter=Emitter(), levers=["batch", "magic"])
    assert status_of(raised.value) == 422 and "magic" in raised.value.details["fields"]["levers"]


def test_cancelled_between_levers_stops_quietly(database):
    user = _busy_user()
    emitter = Emitter()
    data = analyze(user, START, END, emitter=emitter)
    emitter.sinks.append(lambda event: event.payload.get("tool") == "model_routing"
                         and event.type == "tool_completed" and emitter.cancel.set())
    with pytest.raises(RunCancelled):
        optimize(user, START, END, emitter=emitter, data=data)
    assert _kinds(emitter)[-1] == ("tool_completed", "model_routing")


def test_database_down_raises_unavailable(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql+pg8000://postgres@127.0.0.1:{port}/test")
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "2")
    reset_engine()
    emitter = Emitter()
    with pytest.raises(DatabaseUnavailable):
        optimize("someone", START, END, emitter=emitter)
    assert [e.type for e in emitter.events] == ["agent_started", "agent_thinking", "agent_error"]
    assert emitter.events[-1].payload["code"] == "database_unavailable"


def test_every_tier_member_is_a_catalog_model_in_one_tier():
    names = set(catalog().names())
    seen: dict[str, str] = {}
    for tier, models in tiers.TIERS.items():
        for model in models:
            assert model in names, model
            assert seen.setdefault(model, tier) == tier, model
    assert tiers.tier_of("claude-opus-4-5-20251101") == "frontier"
    assert tiers.tier_of("gpt-4o-2024-08-06") == "balanced"
    assert tiers.tier_of("mistral/codestral-latest") is None
    assert tiers.lower_tier("balanced") == "efficient" and tiers.lower_tier("nano") is None
