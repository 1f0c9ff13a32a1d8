"""A real token whose account has been deleted: 401 user_not_found on every route of the chat's HTTP API."""
from __future__ import annotations

import pytest
import requests
from sqlalchemy import delete

from shared.db import transaction
from shared.db.schema import users
from tests.support.chat_history import run_status
from tests.support.chat_socket import ask, connect_user, run_frames
from tests.support.waiting import wait_for


@pytest.fixture
def server(database, start_chat):
    return start_chat()


@pytest.mark.parametrize("method, path", [("post", "/api/ws/ticket"), ("get", "/api/threads"),
                                          ("get", "/api/threads/{thread}/messages"),
                                          ("delete", "/api/threads/{thread}")])
def test_every_route_answers_401_user_not_found(server, new_user, method, path):
    user = new_user()
    headers = user.bearer()  # signed while the account existed
    with connect_user(server, user) as ws:
        ack = ask(ws, "a thread to ask about")
        run_frames(ws, ack["run_id"])
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    with transaction() as conn:
        conn.execute(delete(users).where(users.c.id == user.id))
    response = requests.request(method, server.url + path.format(thread=ack["thread_id"]), headers=headers,
                                timeout=5)
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "user_not_found",
                                        "message": "The account of this token no longer exists.", "details": {}}
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tokenwise"'
