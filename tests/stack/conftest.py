"""Fixtures for the local stack: an in-process stack on a werkzeug server, a user for its chat."""
from __future__ import annotations

import pytest

from infra import local_stack
from infra.manifest import Unit
from tests.support.in_process_stack import RunningStack
from tests.support.teardown import stopped_after_test
from tests.support.users import User, create_user


@pytest.fixture
def run_stack():
    """``run_stack(units)`` → a ``RunningStack`` of those units (functions and containers), stopped after the test."""
    def start(units: list[Unit]) -> RunningStack:
        return RunningStack(local_stack.build(units, containers=True))

    yield from stopped_after_test(start)


@pytest.fixture
def chat_user(sqlite_db) -> User:
    """A user in the test session's SQLite database (``chat_user.token()`` for its access token)."""
    return create_user("stack")
