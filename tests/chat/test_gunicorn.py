"""The production command: gunicorn with the gevent worker, real sockets, real databases, SIGTERM."""
from __future__ import annotations

import json
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.chat.gunicorn_process import GunicornChat
from tests.support.chat_history import run_status
from tests.support.chat_socket import ask, receive, run_frames, send
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


@pytest.fixture
def start_gunicorn():
    processes: list[GunicornChat] = []

    def start(database, pipeline: str, **env) -> GunicornChat:
        process = GunicornChat({**database.env(), **env}, pipeline)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.stop()


def socket_for(server: GunicornChat, user):
    ws = connect(server.ws_url(), subprotocols=[f"jwt.{user.token()}", "tokenwise.v1"], open_timeout=5,
                 legacy=True)
    assert receive(ws)["type"] == "connection_established"
    return ws


def test_gevent_worker_chats_and_stores_on_both_databases(database, start_gunicorn, new_user):
    server = start_gunicorn(database, "tests.chat.pipelines:quick_pipeline")
    user = new_user()
    with socket_for(server, user) as ws:
        assert ws.subprotocol == "tokenwise.v1"
        send(ws, {"type": "ping", "id": 1})
        assert receive(ws)["id"] == 1
        ack = ask(ws, "under gevent")
        frames = run_frames(ws, ack["run_id"])
    assert [(f["type"], f["agent"]) for f in frames][0] == ("agent_started", "supervisor")
    assert frames[-1]["payload"]["answer"] == "Answer to: under gevent"
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    body = requests.get(f"{server.url}/api/threads/{ack['thread_id']}/messages", headers=user.bearer(),
                        timeout=5).json()
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert requests.get(server.url + "/health", timeout=5).json()["database_status"] == "connected"


def test_gunicorns_own_log_lines_are_json_too(sqlite_db, start_gunicorn):
    server = start_gunicorn(sqlite_db, "tests.chat.pipelines:quick_pipeline")
    server.terminate()
    server.process.wait(timeout=15)
    lines = [line for line in server.output().splitlines() if line.strip()]
    assert any("Booting worker" in json.loads(line)["message"] for line in lines)
    for line in lines:
        assert isinstance(json.loads(line)["severity"], str), line


def test_sigterm_interrupts_runs_and_closes_sockets_with_1001(pg_db, start_gunicorn, new_user):
    server = start_gunicorn(pg_db, "tests.chat.pipelines:slow_pipeline", CHAT_SHUTDOWN_GRACE_S="3")
    user = new_user()
    with socket_for(server, user) as ws, socket_for(server, new_user()) as idle:
        running = ask(ws, "a long one")
        assert receive(ws)["type"] == "agent_started"
        waiting = ask(ws, "behind it", thread_id=running["thread_id"])
        signalled = time.monotonic()
        server.terminate()
        frames = [receive(ws) for _ in range(3)]
        with pytest.raises(ConnectionClosed) as closed:
            receive(ws)
        with pytest.raises(ConnectionClosed) as closed_idle:
            receive(idle)
        closed_after = time.monotonic() - signalled
    assert [(f["run_id"], f["type"], f["payload"].get("status")) for f in frames] == [
        (waiting["run_id"], "agent_completed", "interrupted"),
        (running["run_id"], "agent_error", None),
        (running["run_id"], "agent_completed", "interrupted")]
    assert (closed.value.rcvd.code, closed_idle.value.rcvd.code) == (1001, 1001)
    assert closed_after < 8
    assert server.process.wait(10) == 0
    assert run_status(running["run_id"]) == "interrupted"
    assert run_status(waiting["run_id"]) == "interrupted"
    assert "Traceback" not in server.output()
