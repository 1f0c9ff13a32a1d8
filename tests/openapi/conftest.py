"""Fixtures for the OpenAPI contract: the in-process local stack on a real port, and ``api``, a client whose
every response is checked against the document before the test sees it.

The stack is ``infra.local_stack.build`` of the real manifest (every function through
functions-framework, the chat container through its factory) behind werkzeug in a thread, shared
by the session; each test points the process's database layer at its backend (``database``:
SQLite and PostgreSQL), so the units under test read that one. ``Api`` is
``tests/support/contract_api.py``.
"""
from __future__ import annotations

import pytest

from infra import local_stack, manifest, openapi
from tests.openapi.contract import Contract
from tests.support.contract_api import Account, Api
from tests.support.in_process_stack import RunningStack


@pytest.fixture(scope="session")
def document() -> dict:
    return openapi.document(manifest.load())


@pytest.fixture(scope="session")
def contract(document) -> Contract:
    return Contract(document)


@pytest.fixture(scope="session")
def stack() -> RunningStack:
    running = RunningStack(local_stack.build(manifest.load(), containers=True))
    failed = {name: unit for name, unit in running.dispatcher.units().items() if unit["status"] != "loaded"}
    assert not failed, failed
    yield running
    running.stop()


@pytest.fixture(scope="session")
def demo_accounts() -> dict[str, Account]:
    return {}


@pytest.fixture
def api(stack, contract, database, tmp_path, demo_accounts) -> Api:
    return Api(stack, contract, database, tmp_path, demo_accounts)
