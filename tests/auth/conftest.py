"""Fixtures for the auth tests: a client on each backend and cheap password hashing.

The client and token helpers are ``tests/support/auth_client.py`` and ``tests/support/forged_tokens.py``.
"""
from __future__ import annotations

import pytest

from tests.support.auth_client import make_client


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch):
    """Argon2id at test cost: the parameters are options, the code path is the same."""
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "1024")


@pytest.fixture
def client(database):
    """A test client of the auth function on SQLite and on PostgreSQL."""
    return make_client()


@pytest.fixture
def sqlite_client(sqlite_db):
    return make_client()
