"""Fixtures for the local stack: an in-process stack on a werkzeug server, tokens for its chat."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
import requests

from infra import local_stack
from infra.manifest import Unit
from infra.request_log import QuietRequestHandler
from shared.auth import issue_access_token
from shared.db import transaction
from shared.db.schema import users
from tests.conftest import unique_email
from tests.support.servers import ThreadedServer
from tests.support.teardown import stopped_after_test


class RunningStack(ThreadedServer):
    def __init__(self, dispatcher: local_stack.Dispatcher):
        self.dispatcher = dispatcher
        super().__init__(dispatcher, request_handler=QuietRequestHandler)
        self.base_url = self.url
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only: never through a proxy from the environment

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.http.post(self.base_url + path, timeout=10, **kwargs)

    def stop(self) -> None:
        self.dispatcher.drain()
        super().stop()
        self.http.close()


@pytest.fixture
def run_stack():
    """``run_stack(units)`` → a ``RunningStack`` of those units (functions and containers), stopped after the test."""
    def start(units: list[Unit]) -> RunningStack:
        return RunningStack(local_stack.build(units, containers=True))

    yield from stopped_after_test(start)


@dataclass(frozen=True)
class ChatUser:
    id: str
    token: str


@pytest.fixture
def chat_user(sqlite_db) -> ChatUser:
    """A user in the test session's SQLite database, with an access token."""
    user_id, email = uuid.uuid4().hex, unique_email("stack")
    with transaction() as conn:
        conn.execute(users.insert().values(id=user_id, email=email, name="Stack Tester", password_hash="unused",
                                           created_at=datetime.now(timezone.utc).replace(tzinfo=None)))
    return ChatUser(user_id, issue_access_token(user_id, email, "stack-session")[0])
