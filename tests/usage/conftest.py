"""Fixtures for the usage tests: users with access tokens and the usage function's test client, per backend.

Request bodies and the import call are ``tests/support/usage_import.py``.
"""
from __future__ import annotations

import functions_framework
import pytest

from tests.support.usage_import import USAGE_SOURCE
from tests.support.users import create_user


@pytest.fixture
def make_user(database):
    """``make_user(tag="usage")`` → a ``User`` in the test's database."""
    return lambda tag="usage": create_user(tag)


@pytest.fixture
def client(database):
    app = functions_framework.create_app(target="usage", source=USAGE_SOURCE)
    return app.test_client()
