"""6b. A database outage in the middle of a chat: the stack runs on PostgreSQL through a proxy the test cuts.
The chat keeps answering what it can, says once that history is not being saved, never closes with 1011,
and writes the conversation when the database returns."""
from __future__ import annotations

import time

from sqlalchemy import create_engine, text

from tests.e2e.client import ask, greet, receive, send
from tests.support.database import PG_URL

QUESTION = "How much did we spend by model last week?"


def stored_events(schema: str, run_id: str) -> int:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {schema}.run_events WHERE run_id = :run"),
                                {"run": run_id}).scalar_one()
    finally:
        engine.dispose()


def eventually(check, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.25)


def test_the_chat_survives_a_database_outage_and_saves_the_conversation_afterwards(pg_stack):
    client, proxy, schema = pg_stack.client, pg_stack.proxy, pg_stack.schema
    demo = pg_stack.demo()
    now = pg_stack.now
    with client.socket(demo.token) as ws:
        greet(ws)
        proxy.cut()
        exchange = ask(ws, QUESTION, {"now": now})
        # The notice comes when the history writer meets the outage: on a busy machine, after the answer.
        while not exchange.of_type("notice"):
            exchange.frames.append(receive(ws, timeout=10))
        health = client.request("GET", "/health").json()
        send(ws, {"type": "ping", "id": "after-outage"})
        pong = receive(ws)  # the socket is still open: no 1011, no close at all
        proxy.restore()

    notices = exchange.of_type("notice")
    assert [n["code"] for n in notices] == ["history_not_saved"]
    events = exchange.events
    received = exchange.received
    assert {e["run_id"] for e in events} == {received["run_id"]}
    assert (events[0]["type"], events[0]["agent"]) == ("agent_started", "supervisor")
    data_errors = [e for e in events if e["agent"] == "data" and e["type"] == "agent_error"]
    assert [e["payload"]["code"] for e in data_errors] == ["database_unavailable"]
    answer = exchange.closing["payload"]["answer"]
    assert "Your usage data is unavailable right now" in answer
    assert "$" not in answer  # no figure it could not compute
    assert (pong["type"], pong["id"]) == ("pong", "after-outage")
    assert health["status"] == "degraded"
    assert health["checks"]["database"]["ok"] is False
    assert health["checks"]["outbox"]["pending"] > 0

    def saved():
        response = client.request("GET", f"/api/threads/{received['thread_id']}/messages", headers=demo.bearer())
        return response.json()["messages"] if response.status_code == 200 else None

    messages = eventually(saved)
    assert messages is not None, "the conversation never reached the database"
    assert [(m["role"], m["content"]) for m in messages] == [("user", QUESTION), ("assistant", answer)]
    assert eventually(lambda: stored_events(schema, received["run_id"]) == len(events))
    assert eventually(lambda: client.request("GET", "/health").json()["status"] == "healthy")
