"""The chat container's WebSocket through the in-process stack (werkzeug's threaded server), beside functions."""
from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.stack.manifests import ECHO, final_unit


def frames_until(ws, predicate, limit: int = 200) -> list[dict]:
    seen = []
    for _ in range(limit):
        message = json.loads(ws.recv(timeout=20))
        seen.append(message)
        if predicate(message):
            return seen
    raise AssertionError(f"no matching frame in {limit}: {seen[-3:]}")


def is_closing(frame: dict) -> bool:
    return frame.get("type") == "agent_completed" and frame.get("agent") == "supervisor"


@pytest.mark.parametrize("path", ["/ws", "/api/v1/websocket"])
def test_a_chat_session_through_the_stack(run_stack, chat_user, path):
    stack = run_stack([final_unit("auth"), ECHO, final_unit("chat")])
    assert stack.get("/auth/health").json()["service"] == "auth"
    assert stack.get("/health").json()["service"] == "chat"
    with connect(stack.ws_url + path, subprotocols=[f"jwt.{chat_user.token()}"], proxy=None, open_timeout=10) as ws:
        first = json.loads(ws.recv(timeout=10))
        assert (first["type"], first["user_id"]) == ("connection_established", chat_user.id)
        ws.send(json.dumps({"type": "ping", "id": "p1"}))
        pong = json.loads(ws.recv(timeout=10))
        assert (pong["type"], pong["id"]) == ("pong", "p1")
        ws.send(json.dumps({"type": "no_such_type"}))
        error = json.loads(ws.recv(timeout=10))
        assert (error["type"], error["code"]) == ("error", "unknown_type")
        ws.send(json.dumps({"type": "user_message", "content": "What can you do?"}))
        frames = frames_until(ws, is_closing)
    received = frames[0]
    assert received["type"] == "message_received"
    events = frames[1:]
    assert (events[0]["type"], events[0]["agent"]) == ("agent_started", "supervisor")
    assert {(e["run_id"], e["thread_id"]) for e in events} == {(received["run_id"], received["thread_id"])}
    assert events[-1]["payload"]["result"]["category"] == "help"
    assert events[-1]["payload"]["answer"] == events[-1]["payload"]["result"]["answer"] != ""


def test_the_upgrade_is_refused_with_401_before_it_happens(run_stack, sqlite_db):
    stack = run_stack([final_unit("chat")])
    with pytest.raises(InvalidStatus) as refused:
        connect(stack.ws_url + "/ws", proxy=None, open_timeout=10)
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["error"]["code"] == "missing_token"
