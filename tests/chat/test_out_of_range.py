"""Over the socket, a period leaving the calendar is answered in words and a now out of range is refused."""
from __future__ import annotations

import pytest

from shared.clock import OUT_OF_RANGE
from tests.support.chat_history import run_status, stored_messages
from tests.support.chat_socket import ask, connect_user, receive, run_frames, send
from tests.support.waiting import wait_for

CALENDAR = "it would leave the calendar (years 1 to 9999)"


@pytest.mark.parametrize("question, phrase", [
    ("How much did we spend in the last 1000000 days?", "last 1000000 days"),
    ("And in the last 100000000000000000000 hours?", "last 100000000000000000000 hours"),
])
def test_a_period_out_of_range_ends_the_run_with_an_answer_saying_so(sqlite_db, start_chat, new_user,
                                                                      question, phrase):
    server = start_chat(pipeline=None)  # the real supervisor
    with connect_user(server, new_user()) as ws:
        ack = ask(ws, question, context={"now": "2026-11-01T12:00:00Z"})
        frames = run_frames(ws, ack["run_id"])
        send(ws, {"type": "ping", "id": "after"})
        pong = receive(ws)
    refusal = f'The question asks about a period out of range ("{phrase}"): {CALENDAR}.'
    assert [(f["type"], f["agent"]) for f in frames] == [
        ("agent_started", "supervisor"), ("agent_started", "triage"), ("tool_executing", "triage"),
        ("tool_completed", "triage"), ("agent_error", "triage"), ("agent_error", "supervisor"),
        ("agent_completed", "supervisor")]
    assert frames[4]["payload"] == frames[5]["payload"] == {"code": "validation_failed", "message": refusal}
    assert frames[-1]["payload"] == {"status": "failed", "answer": f"I could not answer this: {refusal}",
                                     "result": None}
    assert (pong["type"], pong["id"]) == ("pong", "after")
    wait_for(lambda: run_status(ack["run_id"]) == "failed")
    wait_for(lambda: [m["role"] for m in stored_messages(ack["thread_id"])] == ["user", "assistant"])
    assert stored_messages(ack["thread_id"])[-1]["content"] == f"I could not answer this: {refusal}"


@pytest.mark.parametrize("now", ["9999-12-31", "0001-01-01"])
def test_a_now_out_of_range_is_an_invalid_message_and_the_socket_stays_open(sqlite_db, start_chat, new_user, now):
    server = start_chat(pipeline=None)
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": "user_message", "content": "What did we spend this year?", "context": {"now": now}})
        error = receive(ws)
        send(ws, {"type": "ping", "id": "after"})
        pong = receive(ws)
    assert (error["type"], error["code"]) == ("error", "invalid_message")
    assert (error["details"]["field"], error["details"]["reason"]) == ("context.now", OUT_OF_RANGE)
    assert (pong["type"], pong["id"]) == ("pong", "after")
