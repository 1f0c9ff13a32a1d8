"""The end-to-end target: the local stack started as a real process, or a deployed stack.

Default: ``python -m infra.run_local`` (what ``make run`` runs) in a subprocess on a
free port, with a temp data dir (SQLite, a generated development secret) and
``E2E_DEMO_ROWS`` (20000) demo records for the fresh demo account. The
manifest is ``infra/manifest.toml`` once it lists every unit the golden path
crosses, else the bundle's final set (``tests/infra/fixture_manifest.toml``).

``pg_stack``: a second local stack on a fresh PostgreSQL schema, reached through a
TCP proxy the tests can cut (``tests/support/proxy.py``), with 3,000 demo records.

Against a deployed stack: ``E2E_BASE_URL`` (and ``E2E_WS_URL``, default the
base URL's ``/ws``), ``E2E_EMAIL`` and ``E2E_PASSWORD`` of an account with usage
data; the tests then register their own further users, and the tests that need
the signing secret or control of the database are skipped.
"""
from __future__ import annotations

import os
import secrets
import signal
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from infra import manifest
from shared.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.conftest import PG_URL, require_postgres
from tests.support.proxy import Proxy
from tests.e2e.client import Account, Client, utcnow
from tests.infra.conftest import FIXTURE_MANIFEST
from tests.stack.launcher import StackProcess, stack_env

GOLDEN_PATH_UNITS = {"auth", "usage", "agents_execute", "agents_triage", "agents_data", "agents_optimization",
                     "chat"}


def e2e_manifest() -> Path:
    listed = {unit.name for unit in manifest.load()}
    return manifest.MANIFEST if GOLDEN_PATH_UNITS <= listed else FIXTURE_MANIFEST


@dataclass
class Target:
    client: Client
    email: str
    password: str
    now: str  # the ``context.now`` every question is asked at, so answers can be compared
    data_dir: Path | None = None  # the local stack's, holding its development secret
    process: StackProcess | None = None

    @property
    def local(self) -> bool:
        return self.data_dir is not None

    def secret(self) -> str:
        if self.data_dir is None:
            pytest.skip("needs the stack's signing secret: only with the local stack")
        return (self.data_dir / "jwt_secret").read_text().strip()

    def demo(self) -> Account:
        return self.client.login(self.email, self.password)


def _remote(base_url: str) -> Target:
    ws_url = os.environ.get("E2E_WS_URL") or base_url.rstrip("/").replace("http", "ws", 1) + "/ws"
    email, password = os.environ.get("E2E_EMAIL"), os.environ.get("E2E_PASSWORD")
    if not email or not password:
        pytest.fail("E2E_BASE_URL needs E2E_EMAIL and E2E_PASSWORD (an account with usage data)")
    return Target(Client(base_url, ws_url), email, password, now=_now())


def _now() -> str:
    moment = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="session")
def target(tmp_path_factory) -> Target:
    base_url = os.environ.get("E2E_BASE_URL")
    if base_url:
        yield _remote(base_url)
        return
    data_dir = tmp_path_factory.mktemp("e2e-stack")
    rows = os.environ.get("E2E_DEMO_ROWS", "20000")
    process = StackProcess("infra.run_local", ["--manifest", str(e2e_manifest()), "--demo-rows", rows],
                           stack_env(data_dir), data_dir).wait_ready()
    now = _now()  # after the demo load: its records end before this minute
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


@dataclass
class PgStack:
    client: Client
    proxy: Proxy  # cut() takes the database away from the stack, restore() brings it back
    schema: str
    now: str

    def demo(self) -> Account:
        return self.client.login(DEMO_EMAIL, DEMO_PASSWORD)


@pytest.fixture(scope="session")
def pg_stack(tmp_path_factory) -> PgStack:
    if os.environ.get("E2E_BASE_URL"):
        pytest.skip("needs control of the stack's database: only with the local stack")
    require_postgres()
    upstream = make_url(PG_URL)
    proxy = Proxy((upstream.host or "127.0.0.1", upstream.port or 5432))
    schema = f"tw_e2e_{uuid.uuid4().hex[:12]}"
    data_dir = tmp_path_factory.mktemp("e2e-pg-stack")
    env = stack_env(data_dir, DATABASE_URL=proxy.url_for(PG_URL), TOKENWISE_DB_SCHEMA=schema,
                    JWT_SECRET=secrets.token_urlsafe(48), DB_BACKOFF_MAX_S="0.5", DB_CONNECT_TIMEOUT_S="2",
                    DB_STATUS_TIMEOUT_S="1")
    process = StackProcess("infra.run_local", ["--manifest", str(e2e_manifest()), "--demo-rows", "3000"], env,
                           data_dir)
    try:
        process.wait_ready()
        yield PgStack(Client(process.base_url, process.ws_url), proxy, schema, _now())
        assert process.stop() == 0, process.output()
    finally:
        if process.proc.poll() is None:
            process.kill()
        proxy.close()
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
