"""The end-to-end target: the local stack started as a real process, or a deployed stack.

Default: ``python -m infra.run_local`` (what ``make run`` runs) in a subprocess on a
free port, with a temp data dir (SQLite, a generated development secret) and
``E2E_DEMO_ROWS`` (20000) demo records for the fresh demo account. The
manifest is ``infra/manifest.toml`` once it lists every unit the golden path
crosses, else the bundle's final set (``tests/infra/fixture_manifest.toml``).

``pg_stack`` (a root fixture, shared with the browser tests): a second local stack on a fresh
PostgreSQL schema, reached through a TCP proxy the tests can cut, with 3,000 demo records.

Against a deployed stack: ``E2E_BASE_URL`` (and ``E2E_WS_URL``, default the
base URL's ``/ws``), ``E2E_EMAIL`` and ``E2E_PASSWORD`` of an account with usage
data; the tests then register their own further users, and the tests that need
the signing secret or control of the database are skipped.
"""
from __future__ import annotations

import os
import signal

import pytest

from shared.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.client import Account, Client
from tests.support.e2e_stacks import (
    Target,
    question_time,
    remote_target,
    start_local_stack,
)


@pytest.fixture(scope="session")
def target(tmp_path_factory) -> Target:
    base_url = os.environ.get("E2E_BASE_URL")
    if base_url:
        yield remote_target(base_url)
        return
    data_dir = tmp_path_factory.mktemp("e2e-stack")
    process = start_local_stack(data_dir, os.environ.get("E2E_DEMO_ROWS", "20000"))
    now = question_time()  # after the demo load: its records end before this minute
    try:
        yield Target(Client(process.base_url, process.ws_url), DEMO_EMAIL, DEMO_PASSWORD, now, data_dir, process)
    finally:
        code = process.stop(signal.SIGTERM)
    assert code == 0, process.output()


@pytest.fixture(scope="session")
def client(target) -> Client:
    return target.client


@pytest.fixture(scope="session")
def demo(target) -> Account:
    """The account with the demo data, logged in once for the session."""
    return target.demo()
