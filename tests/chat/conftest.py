"""Chat fixtures: a real chat server (werkzeug, threaded) per test, users, tokens and a WebSocket client."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from websockets.sync.client import connect
from werkzeug.serving import WSGIRequestHandler

from functions.chat.app import create_app
from functions.chat.settings import ChatSettings
from shared.agents.pipeline.events import AGENT_COMPLETED
from shared.auth import issue_access_token
from shared.db import transaction
from shared.db.schema import messages, run_events, runs, users
from tests.chat.pipelines import quick_pipeline
from tests.conftest import unique_email
from tests.support.servers import ThreadedServer
from tests.support.teardown import stopped_after_test


class QuietHandler(WSGIRequestHandler):
    """No access log: request lines may carry a one-time ticket."""

    def log_request(self, *args, **kwargs) -> None:
        pass

    def log_error(self, *args, **kwargs) -> None:
        pass  # after a WebSocket closes, werkzeug reads the client's close frame as a bad request


class ChatServer(ThreadedServer):
    def __init__(self, app):
        self.app = app
        self.service = app.extensions["tokenwise_chat"]
        super().__init__(app, request_handler=QuietHandler)

    def ws_url(self, path: str = "/ws") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.service.shutdown()
        super().stop()


@pytest.fixture
def start_chat():
    """``start_chat(pipeline=..., **settings)`` → a running ``ChatServer``; stopped after the test."""
    def start(pipeline=quick_pipeline, **settings) -> ChatServer:
        return ChatServer(create_app(pipeline=pipeline, settings=replace(ChatSettings.from_env(), **settings)))

    yield from stopped_after_test(start)


@dataclass(frozen=True)
class User:
    id: str
    email: str

    def token(self, ttl_s: float = 900, session_id: str = "test-session") -> str:
        """An access token that expires ``ttl_s`` from now (negative: already expired)."""
        issued = datetime.now(timezone.utc) - timedelta(seconds=900 - ttl_s)
        return issue_access_token(self.id, self.email, session_id, now=issued)[0]

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}


def create_user() -> User:
    user = User(uuid.uuid4().hex, unique_email("chat"))
    with transaction() as conn:
        conn.execute(users.insert().values(id=user.id, email=user.email, name="Chat Tester",
                                           password_hash="not-a-real-hash",
                                           created_at=datetime.now(timezone.utc).replace(tzinfo=None)))
    return user


@pytest.fixture
def new_user():
    return create_user


def open_socket(server: ChatServer, token: str | None = None, *, via: str = "subprotocol",
                path: str = "/ws", query: str = "", subprotocols: list[str] | None = None, **kwargs):
    protocols = list(subprotocols or [])
    headers = {}
    if token is not None and via == "subprotocol":
        protocols.insert(0, f"jwt.{token}")
    elif token is not None and via == "header":
        headers["Authorization"] = f"Bearer {token}"
    return connect(server.ws_url(path) + query, subprotocols=protocols or None,
                   additional_headers=headers or None, open_timeout=5, close_timeout=2, legacy=True,
                   **kwargs)


def receive(ws, timeout: float = 5.0) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def send(ws, message: dict) -> None:
    ws.send(json.dumps(message))


def connect_user(server: ChatServer, user: User, **kwargs):
    """An open socket past ``connection_established``."""
    ws = open_socket(server, user.token(), **kwargs)
    first = receive(ws)
    assert first["type"] == "connection_established"
    return ws


def run_frames(ws, run_id: str, timeout: float = 10.0) -> list[dict]:
    """Frames of ``run_id`` up to and including the closing supervisor ``agent_completed``."""
    frames = []
    while True:
        message = receive(ws, timeout)
        if message.get("run_id") != run_id:
            continue
        frames.append(message)
        if message["type"] == AGENT_COMPLETED and message["agent"] == "supervisor":
            return frames


def ask(ws, content: str, **fields) -> dict:
    """Send a user message; the ``message_received`` acknowledgement."""
    send(ws, {"type": "user_message", "content": content, **fields})
    ack = receive(ws)
    assert ack["type"] == "message_received", ack
    return ack


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.05):
    """The first truthy value of ``predicate()`` within ``timeout``; fails the test otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)


def run_row(run_id: str) -> dict | None:
    with transaction() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).one_or_none()
    return None if row is None else dict(row._mapping)


def run_status(run_id: str) -> str | None:
    row = run_row(run_id)
    return None if row is None else row["status"]


def stored_events(run_id: str) -> list[dict]:
    with transaction() as conn:
        bodies = conn.execute(select(run_events.c.body).where(run_events.c.run_id == run_id)
                              .order_by(run_events.c.seq)).scalars().all()
    return [json.loads(body) for body in bodies]


def stored_messages(thread_id: str) -> list[dict]:
    with transaction() as conn:
        rows = conn.execute(select(messages).where(messages.c.thread_id == thread_id)
                            .order_by(messages.c.created_at)).all()
    return [dict(row._mapping) for row in rows]
