"""3. Message send: a question about the demo data streams the critical events in order, then an answer whose
figures are those of the execute function for the same question, and the exchange is in the thread's history."""
from __future__ import annotations

import pytest

from tests.e2e.client import CRITICAL, ask, greet, in_order, seq

QUESTION = "How much did we spend by model last week?"


@pytest.fixture(params=["stack", pytest.param("postgresql-stack", marks=pytest.mark.postgres)])
def asker(request):
    """``(client, account, now)`` of the main stack (SQLite, or the deployed one), then of the PostgreSQL stack."""
    if request.param == "stack":
        target = request.getfixturevalue("target")
        return target.client, request.getfixturevalue("demo"), target.now
    pg_stack = request.getfixturevalue("pg_stack")
    return pg_stack.client, pg_stack.demo(), pg_stack.now


def test_a_question_streams_the_agents_and_answers_with_the_execute_functions_figures(asker):
    client, demo, now = asker
    context = {"now": now}
    with client.socket(demo.token) as ws:
        greet(ws)
        exchange = ask(ws, QUESTION, context, client_message_id="e2e-question-1")

    received = exchange.received
    assert exchange.frames[0] is received  # acknowledged before the run's first event
    assert received["client_message_id"] == "e2e-question-1"
    assert (received["queued"], received["position"]) == (False, 0)
    events = exchange.events
    assert len(events) == len(exchange.frames) - 1  # nothing else on the socket
    assert {(e["run_id"], e["thread_id"]) for e in events} == {(received["run_id"], received["thread_id"])}
    assert [seq(e) for e in events] == list(range(1, len(events) + 1))
    assert (events[0]["type"], events[0]["agent"]) == ("agent_started", "supervisor")
    assert (events[-1]["type"], events[-1]["agent"]) == ("agent_completed", "supervisor")
    assert in_order([e["type"] for e in events], CRITICAL)
    data_tools = [e for e in events if e["agent"] == "data" and e["type"] == "tool_completed"]
    assert data_tools, "the data agent ran its queries"

    final = events[-1]["payload"]
    result = final["result"]
    assert final["answer"] == result["answer"]
    assert result["category"] == "spend_breakdown"
    assert result["data"]["totals"]["requests"] > 0

    response = client.request("POST", "/api/agents/execute", headers=demo.bearer(),
                              json={"message": QUESTION, "context": context})
    assert response.status_code == 200
    reference = response.json()
    assert (reference["status"], reference["agent"]) == ("success", "supervisor")
    assert reference["result"]["data"] == result["data"]  # every figure: totals, by model/provider/feature/day
    assert reference["result"]["triage"] == result["triage"]
    assert reference["result"]["answer"] == result["answer"]
    assert reference["result"] == result

    history = client.request("GET", f"/api/threads/{received['thread_id']}/messages", headers=demo.bearer())
    assert history.status_code == 200
    messages = history.json()["messages"]
    assert [(m["role"], m["content"], m["run_id"]) for m in messages] == [
        ("user", QUESTION, received["run_id"]), ("assistant", final["answer"], received["run_id"])]
    assert messages[0]["id"] == received["message_id"]
    assert messages[0]["client_message_id"] == "e2e-question-1"
    assert messages[1]["structured"] == result
    listed = client.request("GET", "/api/threads", headers=demo.bearer()).json()["threads"]
    assert received["thread_id"] in [thread["id"] for thread in listed]
