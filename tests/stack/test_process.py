"""The stack as a real process: WebSockets through parity mode's front proxy, contained failures there,
and SIGINT/SIGTERM stopping everything (sockets closed with 1001, no process left behind)."""
from __future__ import annotations

import json
import os
import signal
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from shared.auth import issue_access_token
from tests.stack.launcher import StackProcess, stack_env
from tests.stack.manifests import ECHO, final_unit, function_unit, write
from tests.support.process_tree import alive, descendants

# parity mode runs functions from the root main.py, which does not export this one: its process exits
NOT_EXPORTED = function_unit("not_exported", "stack_echo", "tests/stack/units/echo/main.py", ["/api/not-exported"])


def start(tmp_path, units, *args: str) -> StackProcess:
    manifest = write(tmp_path / "manifest.toml", units)
    env = stack_env(tmp_path, JWT_SECRET=os.environ["JWT_SECRET"])
    return StackProcess("infra.local_stack", ["--manifest", str(manifest), *args], env, tmp_path).wait_ready()


def token() -> str:
    return issue_access_token("user-stack-process", "stack-process@example.com", "stack-session")[0]


def open_chat(stack: StackProcess):
    return connect(stack.ws_url, subprotocols=[f"jwt.{token()}"], proxy=None, open_timeout=15, close_timeout=5)


def greet(ws) -> None:
    first = json.loads(ws.recv(timeout=15))
    assert (first["type"], first["user_id"]) == ("connection_established", "user-stack-process")
    ws.send(json.dumps({"type": "ping", "id": "before-stop"}))
    pong = json.loads(ws.recv(timeout=15))
    assert (pong["type"], pong["id"]) == ("pong", "before-stop")


def close_code_after_stop(ws) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            ws.recv(timeout=20)
    return closed.value.rcvd.code if closed.value.rcvd else closed.value.sent.code


def http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_in_process_stack_stops_on_a_signal_and_closes_sockets_with_1001(tmp_path, signum):
    stack = start(tmp_path, [ECHO, final_unit("chat")])
    try:
        assert http().get(stack.base_url + "/api/echo/x", timeout=10).json()["path"] == "/api/echo/x"
        with open_chat(stack) as ws:
            greet(ws)
            children = descendants(stack.proc.pid)
            stack.send(signum)
            assert close_code_after_stop(ws) == 1001
        assert stack.wait(15) == 0
        assert alive(children) == []
        assert any('"message": "stopped"' in line for line in stack.lines)
    finally:
        if stack.proc.poll() is None:
            stack.kill()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_parity_mode_serves_each_unit_from_its_own_process_and_stops_them_all(tmp_path, signum):
    stack = start(tmp_path, [final_unit("auth"), final_unit("chat"), NOT_EXPORTED], "--parity")
    try:
        units = stack.announcement["units"]
        assert units["auth"]["status"] == units["chat"]["status"] == "running"
        assert units["not_exported"]["status"] == "failed"
        session = http()
        auth_health = session.get(stack.base_url + "/auth/health", timeout=10)
        assert (auth_health.status_code, auth_health.json()["service"]) == (200, "auth")
        assert auth_health.headers["Connection"].lower() == "close"  # one client connection, one unit
        refused = session.get(stack.base_url + "/api/not-exported/run", timeout=10)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "unit_unavailable"
        assert refused.json()["error"]["details"]["unit"] == "not_exported"
        assert refused.json()["error"]["details"]["reason"].startswith("exited with code ")
        health = session.get(stack.base_url + "/health", timeout=10).json()
        assert (health["service"], health["status"], health["failed_units"]) == ("chat", "degraded",
                                                                                 ["not_exported"])
        pids = {units[name]["pid"] for name in ("auth", "chat")}
        assert pids <= set(descendants(stack.proc.pid))  # separate processes, children of the stack
        with open_chat(stack) as ws:  # the upgrade and the frames cross the front proxy
            greet(ws)
            children = descendants(stack.proc.pid)
            stack.send(signum)
            assert close_code_after_stop(ws) == 1001
        assert stack.wait(25) == 0
        deadline = time.monotonic() + 5
        while alive(children) and time.monotonic() < deadline:
            time.sleep(0.1)  # reparented grandchildren may take a moment to be reaped
        assert alive(children) == []
    finally:
        if stack.proc.poll() is None:
            stack.kill()


def test_parity_units_do_not_outlive_a_killed_stack(tmp_path):
    stack = start(tmp_path, [final_unit("auth"), final_unit("chat")], "--parity")
    children = descendants(stack.proc.pid)
    assert {stack.announcement["units"][name]["pid"] for name in ("auth", "chat")} <= set(children)
    stack.send(signal.SIGKILL)  # no handler runs: the units learn it from the kernel (parent-death signal)
    assert stack.wait(10) == -signal.SIGKILL
    deadline = time.monotonic() + 20
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = alive(children)
    for pid in survivors:  # leave nothing behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert survivors == []
