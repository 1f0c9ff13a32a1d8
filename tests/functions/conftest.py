"""Fixtures for the agent functions: a test client of each, on the test's database.

The October records and their owner (``october_user``) come from the root conftest; users and records
from ``tests/support/users.py`` and ``tests/support/october_usage.py``.
"""
from __future__ import annotations

import pytest

from tests.support.agent_functions import agent_clients


@pytest.fixture
def clients() -> dict:
    """``clients[name]``: a test client of ``functions/agents_<name>/main.py`` through functions-framework."""
    return agent_clients()
