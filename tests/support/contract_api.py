"""A client of the running stack whose every answer is checked against the OpenAPI document.

``Api(stack, contract, database, tmp_path, demo_accounts)`` makes real HTTP and WebSocket calls: ``call``,
``raw`` (a hand-written request), ``socket`` and ``refused_socket`` check the status and record each
exchange in ``checked``; ``register()`` signs a user up (an ``Account``), ``demo_account()`` is one account
per backend with demo usage; ``database_down()`` swaps in a database that refuses connections,
``production_without_secret()`` a production deployment whose ``JWT_SECRET`` is missing.
"""
from __future__ import annotations

import http.client
import json
import os
import socket
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from shared.db import reset_engine
from tests.e2e.client import greet
from tests.openapi.contract import Checked, Contract, Exchange
from tests.support.database import Database
from tests.support.identity import unique_email
from tests.support.in_process_stack import RunningStack
from tests.support.ports import free_port as closed_port

PASSWORD = "contract-check-2026"
DEMO_ROWS = 3000


@dataclass
class Account:
    user_id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class Api:
    """Real HTTP and WebSocket calls to the stack; each answer must have the expected status and match the
    document (``contract``), and is recorded in ``checked``."""

    def __init__(self, stack: RunningStack, contract: Contract, database: Database, tmp_path: Path,
                 demo_accounts: dict[str, Account]):
        self.stack = stack
        self.contract = contract
        self.database = database
        self.tmp_path = tmp_path
        self.checked: list[Checked] = []
        self._demo_accounts = demo_accounts

    # -- checked exchanges -------------------------------------------------------------------------
    def record(self, exchange: Exchange, expect: int, text: str = "") -> None:
        assert exchange.status == expect, (f"{exchange.method.upper()} {exchange.path}: expected {expect}, got "
                                           f"{exchange.status}: {text or exchange.body[:500]!r}")
        self.checked.append(self.contract.check(exchange))

    def call(self, method: str, path: str, expect: int, **kwargs) -> requests.Response:
        response = self.stack.http.request(method, self.stack.base_url + path, timeout=60, allow_redirects=False,
                                           **kwargs)
        self.record(Exchange(method.lower(), path.split("?", 1)[0], response.status_code,
                             response.headers.get("Content-Type"), response.content), expect, response.text[:500])
        if "json" in kwargs and 200 <= expect < 300:
            self.contract.check_request(method, path.split("?", 1)[0], "application/json", kwargs["json"])
        return response

    def raw(self, request_head: str, body: bytes, expect: int) -> http.client.HTTPResponse:
        """A hand-written request on a plain socket (for bodies no well-behaved client sends)."""
        method, target = request_head.split(" ", 2)[:2]
        with socket.create_connection(("127.0.0.1", self.stack.server.server_port), timeout=30) as sock:
            sock.sendall(request_head.encode("latin-1") + b"\r\n\r\n" + body)
            response = http.client.HTTPResponse(sock, method=method)
            response.begin()
            content = response.read()
        self.record(Exchange(method.lower(), target.split("?", 1)[0], response.status,
                             response.getheader("Content-Type"), content), expect)
        return response

    @contextmanager
    def socket(self, path: str = "/ws", subprotocols: list[str] | None = None, headers: dict | None = None):
        """An open chat WebSocket (101 checked; the first frame must be ``connection_established``)."""
        with connect(self.stack.ws_url + path, subprotocols=subprotocols, additional_headers=headers, proxy=None,
                     open_timeout=30, close_timeout=5) as ws:
            self.record(Exchange("get", path.split("?", 1)[0], ws.response.status_code,
                                 ws.response.headers.get("Content-Type"), ws.response.body or b""), 101)
            greet(ws)
            yield ws

    def refused_socket(self, path: str, expect: int, subprotocols: list[str] | None = None) -> dict:
        """A WebSocket handshake the server refuses; returns the JSON error body."""
        with pytest.raises(InvalidStatus) as refused:
            connect(self.stack.ws_url + path, subprotocols=subprotocols, proxy=None, open_timeout=30).close()
        response = refused.value.response
        self.record(Exchange("get", path.split("?", 1)[0], response.status_code,
                             response.headers.get("Content-Type"), response.body or b""), expect)
        return json.loads(response.body)

    # -- accounts ----------------------------------------------------------------------------------
    def register(self, name: str | None = "Contract Tester") -> Account:
        email, password = unique_email("contract"), PASSWORD
        body = self.call("POST", "/auth/register", 201,
                         json={"email": email, "password": password, "name": name}).json()
        return Account(body["user"]["id"], email, password, body["access_token"], body["refresh_token"])

    def demo_account(self) -> Account:
        """One account per backend with demo usage (through ``POST /api/usage/demo``), shared by the session."""
        if self.database.name not in self._demo_accounts:
            account = self.register("Demo Spender")
            loaded = self.call("POST", "/api/usage/demo", 200, json={"rows": DEMO_ROWS},
                               headers=account.bearer()).json()
            assert loaded["imported"] == DEMO_ROWS, loaded
            self._demo_accounts[self.database.name] = account
        return self._demo_accounts[self.database.name]

    # -- failures ----------------------------------------------------------------------------------
    @contextmanager
    def database_down(self):
        """The backend under test refusing every connection, then back."""
        saved = os.environ["DATABASE_URL"]
        if self.database.name == "sqlite":
            blocker = self.tmp_path / "not-a-folder"
            blocker.write_text("a file where the database folder should be")
            os.environ["DATABASE_URL"] = f"sqlite:///{blocker / 'tokenwise.db'}"
        else:
            os.environ["DATABASE_URL"] = f"postgresql+pg8000://postgres@127.0.0.1:{closed_port()}/test"
        reset_engine()
        try:
            yield
        finally:
            os.environ["DATABASE_URL"] = saved
            reset_engine()

    @contextmanager
    def production_without_secret(self):
        saved = {name: os.environ.get(name) for name in ("TOKENWISE_ENV", "JWT_SECRET")}
        os.environ["TOKENWISE_ENV"] = "production"
        os.environ.pop("JWT_SECRET", None)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
