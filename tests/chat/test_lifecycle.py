"""Shutdown and health: new sockets refused, runs interrupted, sockets closed with 1001."""
from __future__ import annotations

import json

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.chat.pipelines import GatedPipeline
from tests.support.chat_history import run_status
from tests.support.chat_socket import (
    ask,
    connect_user,
    open_socket,
    receive,
    run_frames,
)
from tests.support.waiting import wait_for


def test_health_is_healthy_and_ready(database, start_chat):
    server = start_chat()
    for path in ("/health", "/api/chat/health"):
        body = requests.get(server.url + path, timeout=5).json()
        assert (body["status"], body["service"], body["database_status"]) == ("healthy", "chat", "connected")
        assert set(body["checks"]) == {"database", "outbox", "secret", "accepting"}
        assert (body["connections"], body["active_runs"]) == (0, 0)
    assert requests.get(server.url + "/health/ready", timeout=5).status_code == 200


def test_shutdown_interrupts_runs_and_closes_sockets_with_1001(database, start_chat, new_user):
    pipeline = GatedPipeline()
    server = start_chat(pipeline, shutdown_grace_s=1)
    user = new_user()
    with connect_user(server, user) as ws, connect_user(server, new_user()) as idle:
        running = ask(ws, "running")
        assert receive(ws)["type"] == "agent_started"
        waiting = ask(ws, "waiting", thread_id=running["thread_id"])
        server.service.shutdown()
        frames = [receive(ws) for _ in range(3)]
        with pytest.raises(ConnectionClosed) as closed:
            receive(ws)
        with pytest.raises(ConnectionClosed) as closed_idle:
            receive(idle)
    assert [(f["run_id"], f["type"], f["payload"].get("status")) for f in frames] == [
        (waiting["run_id"], "agent_completed", "interrupted"),
        (running["run_id"], "agent_error", None),
        (running["run_id"], "agent_completed", "interrupted")]
    assert closed.value.rcvd.code == 1001
    assert closed_idle.value.rcvd.code == 1001
    assert run_status(running["run_id"]) == "interrupted"
    assert run_status(waiting["run_id"]) == "interrupted"

    with pytest.raises(InvalidStatus) as refused:
        open_socket(server, user.token())
    assert refused.value.response.status_code == 503
    assert json.loads(refused.value.response.body)["error"]["code"] == "shutting_down"
    assert requests.get(server.url + "/health/ready", timeout=5).status_code == 503
    health = requests.get(server.url + "/health", timeout=5).json()
    assert (health["status"], health["reasons"]) == ("degraded", {"accepting": "shutting down"})


def test_a_pipeline_that_completes_during_shutdown_keeps_its_answer(sqlite_db, start_chat, new_user):
    pipeline = GatedPipeline()
    server = start_chat(pipeline)
    with connect_user(server, new_user()) as ws:
        ack = ask(ws, "almost done")
        assert receive(ws)["type"] == "agent_started"
        pipeline.gate("almost done").set()
        frames = run_frames(ws, ack["run_id"])
        server.service.shutdown()
    assert frames[-1]["payload"]["answer"] == "Answer to: almost done"
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
