"""The database goes away mid-chat: answers keep coming, one notice, no 1011, and nothing is lost."""
from __future__ import annotations

import os

import pytest
import requests
from sqlalchemy.engine import make_url

from functions.chat import history
from functions.chat.outbox import Outbox
from shared.db import reset_engine
from tests.chat.pipelines import counting_pipeline
from tests.support.chat_history import run_status
from tests.support.chat_socket import ask, connect_user, receive, send
from tests.support.ports import free_port
from tests.support.proxy import DROP, FORWARD, Proxy
from tests.support.waiting import wait_for


@pytest.fixture
def proxied_pg(pg_db):
    """The test's PostgreSQL schema, reached through a proxy the test can take down and bring back."""
    target = make_url(pg_db.url)
    proxy = Proxy((target.host or "127.0.0.1", target.port or 5432))
    os.environ.update({
        "DATABASE_URL": proxy.url_for(pg_db.url),
        "DB_BACKOFF_MAX_S": "0.3", "DB_CONNECT_TIMEOUT_S": "2", "DB_STATUS_TIMEOUT_S": "1",
    })
    reset_engine()
    yield proxy
    proxy.close()


def take_down(proxy: Proxy) -> None:
    """The database goes away: open connections cut, new ones accepted and closed at once.

    Not refused: a refused connect fails within a millisecond, and then the outage notice can overtake
    the acknowledgement of the message that met it, which these tests do not mean to check.
    """
    proxy.mode = DROP
    proxy.kill_connections()


def bring_back(proxy: Proxy) -> None:
    proxy.mode = FORWARD


def frames_until_closed(ws, run_id: str) -> list[dict]:
    frames = []
    while not (frames and frames[-1].get("run_id") == run_id and frames[-1]["type"] == "agent_completed"
               and frames[-1]["agent"] == "supervisor"):
        frames.append(receive(ws))
    return frames


def notice_codes(ws, frames: list[dict], timeout: float = 5.0) -> list[str]:
    """The notices among ``frames``; when there is none yet, the next one to arrive.

    The notice comes when the history writer meets the outage, which on a busy machine can be
    after a fast run has already answered.
    """
    codes = [f["code"] for f in frames if f["type"] == "notice"]
    while not codes:
        late = receive(ws, timeout)
        if late["type"] == "notice":
            codes.append(late["code"])
    return codes


def test_outage_mid_chat(proxied_pg, start_chat, new_user):
    server = start_chat(counting_pipeline, outbox_flush_s=0.2)
    user = new_user()
    with connect_user(server, user) as ws:
        before = ask(ws, "before")
        assert frames_until_closed(ws, before["run_id"])[-1]["payload"]["answer"] == "You have 0 usage records."
        wait_for(lambda: run_status(before["run_id"]) == "completed")

        take_down(proxied_pg)
        during = ask(ws, "during", thread_id=before["thread_id"])
        frames = frames_until_closed(ws, during["run_id"])
        events = [f for f in frames if f["type"] != "notice"]
        assert notice_codes(ws, frames) == ["history_not_saved"]
        assert [(e["type"], e["agent"]) for e in events][-3:] == [
            ("agent_started", "data"), ("agent_error", "data"), ("agent_completed", "supervisor")]
        assert events[-2]["payload"]["code"] == "database_unavailable"
        assert events[-1]["payload"]["answer"].startswith("Your usage data is unavailable")

        still_down = ask(ws, "still down", thread_id=before["thread_id"])
        frames = frames_until_closed(ws, still_down["run_id"])
        assert [f for f in frames if f["type"] == "notice"] == []  # once per outage

        health = requests.get(server.url + "/health", timeout=5).json()
        assert health["status"] == "degraded"
        assert health["checks"]["outbox"]["pending"] > 0
        assert health["database_status"] == "degraded"
        unavailable = requests.get(f"{server.url}/api/threads/{before['thread_id']}/messages",
                                   headers=user.bearer(), timeout=5)
        assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (503, "database_unavailable")
        send(ws, {"type": "get_thread_history", "thread_id": before["thread_id"]})
        assert receive(ws)["code"] == "database_unavailable"

        bring_back(proxied_pg)
        wait_for(lambda: server.service.outbox.pending == 0, timeout=10)
        send(ws, {"type": "ping"})
        assert receive(ws)["type"] == "pong"  # the socket lived through it all

    body = requests.get(f"{server.url}/api/threads/{before['thread_id']}/messages", headers=user.bearer(),
                        timeout=5).json()
    assert [(m["role"], m["content"][:24]) for m in body["messages"]] == [
        ("user", "before"), ("assistant", "You have 0 usage records"),
        ("user", "during"), ("assistant", "Your usage data is unava"),
        ("user", "still down"), ("assistant", "Your usage data is unava")]
    assert [run_status(a["run_id"]) for a in (before, during, still_down)] == ["completed"] * 3
    assert requests.get(server.url + "/health", timeout=5).json()["status"] == "healthy"


def test_a_new_thread_started_during_the_outage_is_saved_afterwards(proxied_pg, start_chat, new_user):
    server = start_chat(counting_pipeline, outbox_flush_s=0.2)
    user = new_user()
    with connect_user(server, user) as ws:
        take_down(proxied_pg)
        ack = ask(ws, "new while down")
        frames = frames_until_closed(ws, ack["run_id"])
        assert notice_codes(ws, frames) == ["history_not_saved"]
        bring_back(proxied_pg)
        wait_for(lambda: server.service.outbox.pending == 0, timeout=10)
    threads = requests.get(server.url + "/api/threads", headers=user.bearer(), timeout=5).json()["threads"]
    assert [t["id"] for t in threads] == [ack["thread_id"]]


def test_the_outbox_is_bounded_and_says_so(sqlite_db):
    os.environ["DATABASE_URL"] = f"postgresql+pg8000://postgres@127.0.0.1:{free_port()}/nothing"
    reset_engine()
    outbox = Outbox(max_items=2, flush_interval_s=60)
    told = []
    seqs = [outbox.write(history.thread_write(f"{i:032d}", "u", "t"), lambda i=i: told.append(i)) for i in range(3)]
    assert seqs == [1, 2, -1]
    assert outbox.wait(2, timeout_s=5) is False  # deferred, known at once
    assert outbox.status() == {"ok": False, "pending": 2, "dropped": 1, "written": 0,
                               "error": "2 chat writes wait for the database"}
    assert (outbox.epoch, sorted(told)) == (1, [0, 1, 2])
    outbox.stop()
