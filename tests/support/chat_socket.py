"""A test's side of the chat WebSocket: open it, send and read JSON frames, ask and collect a run's frames.

``open_socket(server, token, via="subprotocol"|"header", path, query, subprotocols)`` opens a socket
(the token as ``jwt.<token>`` subprotocol or an Authorization header); ``connect_user(server, user)`` one
already past ``connection_established``; ``receive(ws, timeout)``/``send(ws, message)`` read and write one
JSON frame; ``ask(ws, content, **fields)`` sends a user message and returns its ``message_received``;
``run_frames(ws, run_id)`` reads that run's frames up to the supervisor's ``agent_completed``.
"""
from __future__ import annotations

import json

from websockets.sync.client import connect

from shared.agents.pipeline.events import AGENT_COMPLETED
from tests.support.chat_server import ChatServer
from tests.support.users import User


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
