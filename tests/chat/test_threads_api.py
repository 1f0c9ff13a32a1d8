"""The threads API: the caller's threads only, newest activity first, 404 for anyone else's."""
from __future__ import annotations

import pytest
import requests

from functions.chat import history
from shared.db import transaction
from tests.chat.pipelines import GatedPipeline
from tests.support.chat_history import run_status, stored_events
from tests.support.chat_socket import ask, connect_user, receive, run_frames
from tests.support.waiting import wait_for


@pytest.fixture
def server(database, start_chat):
    return start_chat()


def chat(server, user, content: str, thread_id: str | None = None) -> dict:
    with connect_user(server, user) as ws:
        ack = ask(ws, content, **({"thread_id": thread_id} if thread_id else {}))
        run_frames(ws, ack["run_id"])
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    return ack


def get(server, path: str, user=None, **kwargs) -> requests.Response:
    return requests.get(server.url + path, headers=user.bearer() if user else {}, timeout=5, **kwargs)


def test_threads_are_listed_most_recently_active_first(server, new_user):
    user, other = new_user(), new_user()
    first = chat(server, user, "first")
    second = chat(server, user, "second")
    chat(server, user, "back to the first", thread_id=first["thread_id"])
    chat(server, other, "someone else")
    response = get(server, "/api/threads", user)
    assert response.status_code == 200
    threads = response.json()["threads"]
    assert [(t["id"], t["title"]) for t in threads] == [(first["thread_id"], "first"),
                                                        (second["thread_id"], "second")]
    assert set(threads[0]) == {"id", "title", "created_at", "updated_at"}
    assert [t["id"] for t in get(server, "/api/threads?limit=1", user).json()["threads"]] == [first["thread_id"]]


def test_messages_of_a_thread(server, new_user):
    user = new_user()
    ack = chat(server, user, "How much did we spend?")
    body = get(server, f"/api/threads/{ack['thread_id']}/messages", user).json()
    assert body["thread"]["id"] == ack["thread_id"]
    assert [(m["role"], m["content"], m["run_id"]) for m in body["messages"]] == [
        ("user", "How much did we spend?", ack["run_id"]),
        ("assistant", "Answer to: How much did we spend?", ack["run_id"])]
    assert body["messages"][1]["structured"]["category"] == "help"
    assert body["messages"][0]["structured"] is None


@pytest.mark.parametrize("thread", ["foreign", "missing", "not an id"])
def test_someone_elses_or_a_missing_thread_is_404(server, new_user, thread):
    owner, intruder = new_user(), new_user()
    ack = chat(server, owner, "private")
    thread_id = {"foreign": ack["thread_id"], "missing": "f" * 32, "not an id": "a.b"}[thread]
    for response in (get(server, f"/api/threads/{thread_id}/messages", intruder),
                     requests.delete(f"{server.url}/api/threads/{thread_id}", headers=intruder.bearer(), timeout=5)):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert len(get(server, f"/api/threads/{ack['thread_id']}/messages", owner).json()["messages"]) == 2


def test_delete_removes_the_thread_with_its_runs_and_events(server, new_user):
    user = new_user()
    ack = chat(server, user, "forget me")
    response = requests.delete(f"{server.url}/api/threads/{ack['thread_id']}", headers=user.bearer(), timeout=5)
    assert (response.status_code, response.content) == (204, b"")
    assert get(server, f"/api/threads/{ack['thread_id']}/messages", user).status_code == 404
    assert get(server, "/api/threads", user).json() == {"threads": []}
    assert run_status(ack["run_id"]) is None
    assert stored_events(ack["run_id"]) == []


def test_delete_stops_a_running_run_first(database, start_chat, new_user):
    pipeline = GatedPipeline()
    server = start_chat(pipeline)
    user = new_user()
    with connect_user(server, user) as ws:
        ack = ask(ws, "in flight")
        assert receive(ws)["type"] == "agent_started"
        response = requests.delete(f"{server.url}/api/threads/{ack['thread_id']}", headers=user.bearer(),
                                   timeout=5)
        frames = run_frames(ws, ack["run_id"])
    assert response.status_code == 204
    assert frames[-1]["payload"]["status"] == "cancelled"
    assert run_status(ack["run_id"]) is None


@pytest.mark.parametrize("method, path", [("get", "/api/threads"), ("get", "/api/threads/abc/messages"),
                                          ("delete", "/api/threads/abc"), ("post", "/api/ws/ticket")])
def test_every_route_needs_a_token(server, method, path):
    response = requests.request(method, server.url + path, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tokenwise"'


@pytest.mark.parametrize("limit", ["0", "201", "abc", "-1"])
def test_bad_limit_is_422(server, new_user, limit):
    response = get(server, f"/api/threads?limit={limit}", new_user())
    assert response.status_code == 422
    assert response.json()["error"] == {"code": "validation_failed", "message": "The request has invalid fields.",
                                        "details": {"fields": {"limit": "an integer from 1 to 200"}}}


def test_unknown_paths_and_methods_answer_json(server, new_user):
    missing = get(server, "/api/nothing", new_user())
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    wrong = requests.put(server.url + "/api/threads", timeout=5)
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")
    assert "GET" in wrong.json()["error"]["details"]["allowed"]
    assert wrong.headers["Allow"] == ", ".join(wrong.json()["error"]["details"]["allowed"])


def test_a_write_replayed_after_a_lost_acknowledgement_is_stored_once(database, new_user):
    user = new_user()
    thread = history.thread_write("t" * 32, user.id, "twice")
    message = history.message_write("m" * 32, "t" * 32, user.id, "user", "hello")
    for _ in range(2):
        with transaction() as conn:
            thread.apply(conn, idempotent=True)
            message.apply(conn, idempotent=True)
    stored = history.thread_with_messages(user.id, "t" * 32)
    assert [m["content"] for m in stored["messages"]] == ["hello"]
