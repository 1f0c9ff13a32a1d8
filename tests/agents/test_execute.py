"""The supervisor on both backends: step order, skipped steps, known figures, outages and cancellation."""
from __future__ import annotations

import os

import pytest

from shared.agents.data.agent import analyze
from shared.agents.optimization import optimize
from shared.agents.pipeline.events import Emitter, RunCancelled
from shared.agents.pipeline.execute import execute
from shared.agents.report.formatting import usd
from shared.errors import ValidationFailed
from tests.support.october_usage import NOW, OCTOBER
from tests.support.ports import free_port as closed_port
from tests.support.users import create_user

CONTEXT = {"now": NOW.isoformat(), "time_range": OCTOBER}
START, END = NOW.replace(month=10, day=1, hour=0), NOW.replace(day=1, hour=0)


def steps(emitter: Emitter) -> list[tuple[str, str]]:
    return [(e.type, e.agent) for e in emitter.events if e.type in ("agent_started", "agent_completed", "agent_error")]


@pytest.fixture
def user(october_user):
    """The October records' owner: shared by the session, so these tests only read."""
    return october_user


def test_full_pipeline_order_and_final_payload(user):
    emitter = Emitter()
    result = execute("How can we cut our LLM costs?", user_id=user.id, emitter=emitter, thread_id="thread-9",
                     context=CONTEXT)
    assert steps(emitter) == [
        ("agent_started", "supervisor"), ("agent_started", "triage"), ("agent_completed", "triage"),
        ("agent_started", "data"), ("agent_completed", "data"),
        ("agent_started", "optimization"), ("agent_completed", "optimization"),
        ("agent_started", "report"), ("agent_completed", "report"), ("agent_completed", "supervisor")]
    first, last = emitter.events[0], emitter.events[-1]
    assert first.payload == {"input": "How can we cut our LLM costs?"}
    assert last.payload == {"answer": result.answer, "result": result.to_dict()}
    assert {e.thread_id for e in emitter.events} == {"thread-9"}
    thought = next(e for e in emitter.events if e.type == "agent_thinking" and e.agent == "supervisor")
    assert thought.payload["thought"] == ("Category cost_optimization; running data → optimization → report over "
                                          "2026-10-01T00:00:00 to 2026-11-01T00:00:00.")
    assert result.category == "cost_optimization"
    assert result.report["structured"]["data_status"] == "ok"


def test_figures_equal_the_agents_run_directly(user):
    result = execute("How can we cut our LLM costs?", user_id=user.id, emitter=Emitter(), context=CONTEXT)
    data = analyze(user.id, START, END, emitter=Emitter())
    optimization = optimize(user.id, START, END, emitter=Emitter())
    assert result.data == data.to_dict()
    assert result.optimization == optimization.to_dict()
    assert data.totals["requests"] == 1085 and data.totals["cost_usd"] == pytest.approx(3.813)
    assert f"You spent **{usd(3.813)}** on 1,085 requests" in result.answer
    for rec in optimization.recommendations:
        assert f"saves **{usd(rec['monthly_savings_usd'])} a month**" in result.answer


def test_a_lever_question_prices_only_its_levers(user):
    result = execute("Would caching help us?", user_id=user.id, emitter=Emitter(), context=CONTEXT)
    assert result.category == "caching"
    levers = {r["lever"] for r in result.optimization["recommendations"]} | \
        {n["lever"] for n in result.optimization["not_recommended"]}
    assert levers == {"response_caching", "prompt_caching"}
    direct = optimize(user.id, START, END, emitter=Emitter(), levers=["response_caching", "prompt_caching"])
    assert result.optimization == direct.to_dict()


@pytest.mark.parametrize("message, category", [("what can you do?", "help"),
                                               ("tell me a joke about cats", "out_of_scope")])
def test_direct_answers_skip_data_and_optimization(user, message, category):
    emitter = Emitter()
    result = execute(message, user_id=user.id, emitter=emitter, context=CONTEXT)
    assert result.category == category
    assert (result.data, result.optimization) == (None, None)
    assert [agent for kind, agent in steps(emitter) if kind == "agent_started"] == ["supervisor", "triage", "report"]


def test_no_records_explains_how_to_import(database):
    newcomer = create_user()
    emitter = Emitter()
    result = execute("where did the money go last month?", user_id=newcomer.id, emitter=emitter,
                     context={"now": NOW.isoformat()})
    assert result.triage["data_sufficiency"] == "none"
    assert result.data is None
    assert "I found **no usage records** for you in 2026-10-01 to 2026-11-01" in result.answer
    assert "POST /api/usage/import" in result.answer
    assert steps(emitter)[-1] == ("agent_completed", "supervisor")


def test_context_range_wins_over_the_message(user):
    result = execute("what did we spend yesterday?", user_id=user.id, emitter=Emitter(),
                     context={"now": NOW.isoformat(), "time_range": {"start": "2026-10-05", "end": "2026-10-07"}})
    assert result.triage["time_range_source"] == "context"
    assert result.data["totals"]["requests"] == 70
    assert "2026-10-05 to 2026-10-07 (2 days, end exclusive)" in result.answer


def test_database_down_still_answers(user):
    os.environ["DATABASE_URL"] = f"postgresql+pg8000://postgres@127.0.0.1:{closed_port()}/test"
    emitter = Emitter()
    result = execute("where did the money go?", user_id=user.id, emitter=emitter, context=CONTEXT)
    assert result.triage["data_sufficiency"] == "unknown"
    assert result.data is None
    error = next(e for e in emitter.events if e.type == "agent_error")
    assert error.agent == "data" and error.payload["code"] == "database_unavailable"
    assert steps(emitter)[-3:] == [("agent_started", "report"), ("agent_completed", "report"),
                                   ("agent_completed", "supervisor")]
    assert "Your usage data is unavailable right now" in result.answer
    assert result.report["structured"]["data_status"] == "unavailable"


def test_database_lost_after_data_keeps_the_figures(user, database):
    def cut_after_data(event):
        if event.type == "agent_completed" and event.agent == "data":
            os.environ["DATABASE_URL"] = f"postgresql+pg8000://postgres@127.0.0.1:{closed_port()}/test"
            os.environ.pop("TOKENWISE_DB_SCHEMA", None)

    emitter = Emitter(sinks=[cut_after_data])
    result = execute("How can we cut our LLM costs?", user_id=user.id, emitter=emitter, context=CONTEXT)
    assert result.data["totals"]["requests"] == 1085
    assert result.optimization is None
    assert ("agent_error", "optimization") in steps(emitter)
    assert next(e for e in emitter.events if e.type == "agent_error").payload["code"] == "database_unavailable"
    assert f"You spent **{usd(3.813)}**" in result.answer
    assert "I could not compute savings: the database became unavailable while pricing the savings" in result.answer
    assert steps(emitter)[-1] == ("agent_completed", "supervisor")


def test_cancel_before_anything_runs(user):
    emitter = Emitter()
    emitter.cancel.set()
    with pytest.raises(RunCancelled):
        execute("where did the money go?", user_id=user.id, emitter=emitter, context=CONTEXT)
    assert [(e.type, e.agent, e.payload.get("code")) for e in emitter.events] == [
        ("agent_started", "supervisor", None), ("agent_error", "supervisor", "cancelled")]


@pytest.mark.parametrize("stop_after", ["triage", "data", "optimization"])
def test_cancel_mid_run_emits_nothing_more(user, stop_after):
    emitter = Emitter()

    def stop(event):
        if event.type == "agent_completed" and event.agent == stop_after:
            emitter.cancel.set()

    emitter.sinks.append(stop)
    with pytest.raises(RunCancelled):
        execute("How can we cut our LLM costs?", user_id=user.id, emitter=emitter, context=CONTEXT)
    stopped_at = next(i for i, e in enumerate(emitter.events)
                      if e.type == "agent_completed" and e.agent == stop_after)
    after = [(e.type, e.agent, e.payload.get("code")) for e in emitter.events[stopped_at + 1:]]
    assert after[-1] == ("agent_error", "supervisor", "cancelled")
    assert all(kind not in ("agent_started", "agent_completed") for kind, _, _ in after)
    assert sum(1 for e in emitter.events if e.type == "agent_error") == 1


def test_a_rejected_input_ends_with_the_supervisors_error(sqlite_db):
    emitter = Emitter()
    with pytest.raises(ValidationFailed):
        execute(12345, user_id="nobody", emitter=emitter)
    assert [(e.type, e.agent) for e in emitter.events] == [("agent_started", "supervisor"),
                                                           ("agent_error", "supervisor")]
    assert emitter.events[-1].payload == {"code": "validation_failed", "message": "The request has invalid fields."}


@pytest.mark.parametrize("context, field", [
    ({"now": "soon"}, "context.now"),
    ({"time_range": {"start": "2023-01-01", "end": "2026-01-01"}}, "context.time_range"),
    ({"time_range": {"start": "2026-10-05"}}, "context.time_range.end"),
])
def test_a_bad_context_is_refused_by_the_request_parser_before_any_agent_runs(sqlite_db, context, field):
    emitter = Emitter()
    with pytest.raises(ValidationFailed) as raised:
        execute("where did the money go?", user_id="nobody", emitter=emitter, context=context)
    assert list(raised.value.details["fields"]) == [field]
    assert [(e.type, e.agent) for e in emitter.events] == [("agent_started", "supervisor"),
                                                           ("agent_error", "supervisor")]
