"""Real clients of a running stack: HTTP through ``requests``, WebSockets through ``websockets``."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import requests
from websockets.asyncio.client import connect as connect_async
from websockets.sync.client import connect

from shared.auth.tokens import ALGORITHM, AUDIENCE, ISSUER

PASSWORD = "e2e-golden-path-2026"
CRITICAL = ("agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed")


def is_closing(frame: dict) -> bool:
    """The one frame that ends a run's stream: ``agent_completed`` from ``supervisor``."""
    return frame.get("type") == "agent_completed" and frame.get("agent") == "supervisor"


def is_event(frame: dict) -> bool:
    return "event_id" in frame


def seq(event: dict) -> int:
    return int(event["event_id"].rpartition("-")[2])


@dataclass
class Exchange:
    """Everything one socket received for one question, in order."""
    frames: list[dict] = field(default_factory=list)

    @property
    def received(self) -> dict:
        return next(f for f in self.frames if f["type"] == "message_received")

    @property
    def events(self) -> list[dict]:
        return [f for f in self.frames if is_event(f)]

    @property
    def closing(self) -> dict:
        return self.events[-1]

    def of_type(self, kind: str) -> list[dict]:
        return [f for f in self.frames if f["type"] == kind]


def in_order(types: list[str], wanted: tuple[str, ...]) -> bool:
    """Whether ``wanted`` occurs in ``types`` as a subsequence (in that order, other types between)."""
    remaining = iter(types)
    return all(kind in remaining for kind in wanted)


def sign(secret: str | bytes, user_id: str, email: str, *, issued: datetime, ttl_s: float) -> str:
    """An access token with every claim the API requires, signed with ``secret``."""
    claims = {"sub": user_id, "email": email, "sid": "e2e-session", "typ": "access", "jti": f"e2e-{time.time_ns()}",
              "iat": issued, "nbf": issued, "exp": issued + timedelta(seconds=ttl_s), "iss": ISSUER,
              "aud": AUDIENCE}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Account:
    user_id: str
    email: str
    token: str

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Client:
    """The public surface of one stack: ``base_url`` for HTTP, ``ws_url`` for the chat socket."""

    def __init__(self, base_url: str, ws_url: str):
        self.base_url = base_url.rstrip("/")
        self.ws_url = ws_url
        self.http = requests.Session()
        self.http.trust_env = False  # straight to the stack, never through a proxy from the environment

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(method, self.base_url + path, timeout=kwargs.pop("timeout", 60), **kwargs)

    def account(self, response: requests.Response, email: str) -> Account:
        body = response.json()
        return Account(body["user"]["id"], email, body["access_token"])

    def login(self, email: str, password: str) -> Account:
        response = self.request("POST", "/auth/login", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        return self.account(response, email)

    def register(self, email: str, password: str = PASSWORD) -> Account:
        response = self.request("POST", "/auth/register", json={"email": email, "password": password,
                                                                  "name": "E2E"})
        assert response.status_code == 201, response.text
        return self.account(response, email)

    def import_csv(self, account: Account, text: str) -> dict:
        response = self.request("POST", "/api/usage/import", data=text.encode(),
                                headers={**account.bearer(), "Content-Type": "text/csv"})
        assert response.status_code == 200, response.text
        return response.json()

    def socket(self, token: str | None, **kwargs):
        protocols = [f"jwt.{token}"] if token is not None else None
        return connect(self.ws_url, subprotocols=protocols, proxy=None, open_timeout=30, close_timeout=5, **kwargs)

    def socket_async(self, token: str, **kwargs):
        return connect_async(self.ws_url, subprotocols=[f"jwt.{token}"], proxy=None, open_timeout=60,
                             close_timeout=5, ping_interval=None, **kwargs)


def receive(ws, timeout: float = 60) -> dict:
    return json.loads(ws.recv(timeout=timeout))


def send(ws, message: dict) -> None:
    ws.send(json.dumps(message))


def greet(ws) -> dict:
    first = receive(ws, 30)
    assert first["type"] == "connection_established", first
    return first


def collect(ws, until, timeout: float = 90) -> list[dict]:
    """Frames until one satisfies ``until`` (included)."""
    frames, deadline = [], time.monotonic() + timeout
    while True:
        frame = receive(ws, max(0.1, deadline - time.monotonic()))
        frames.append(frame)
        if until(frame):
            return frames


def collect_all(ws, *conditions, timeout: float = 90) -> list[dict]:
    """Frames until each condition has matched one of them (the last match included)."""
    frames, pending, deadline = [], list(conditions), time.monotonic() + timeout
    while pending:
        frame = receive(ws, max(0.1, deadline - time.monotonic()))
        frames.append(frame)
        pending = [condition for condition in pending if not condition(frame)]
    return frames


def is_resumed(frame: dict) -> bool:
    return frame.get("type") == "resumed"


def ask(ws, content: str, context: dict[str, Any] | None = None, **fields) -> Exchange:
    send(ws, {"type": "user_message", "content": content, **({"context": context} if context else {}), **fields})
    return Exchange(collect(ws, is_closing))


async def ask_async(ws, content: str, context: dict[str, Any] | None = None, timeout: float = 120) -> Exchange:
    import asyncio
    await ws.send(json.dumps({"type": "user_message", "content": content, "context": context or {}}))
    exchange = Exchange()
    async with asyncio.timeout(timeout):
        while not exchange.frames or not is_closing(exchange.frames[-1]):
            exchange.frames.append(json.loads(await ws.recv()))
    return exchange
