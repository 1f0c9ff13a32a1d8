"""The stacks the end-to-end and browser tests talk to: the main target, and a stack on PostgreSQL.

``Target`` is the main stack: the local one (a ``python -m infra.run_local`` process whose data dir holds
its signing secret) or a deployed one (``remote_target(base_url)``, from ``E2E_*`` variables).
``start_local_stack(data_dir, demo_rows, **env)`` is ``python -m infra.run_local`` on the e2e manifest
(``stack_env(data_dir, **env)``), ready to answer. ``question_time()`` is the ``context.now`` questions are
asked at: the next whole minute, after the demo records end. ``running_pg_stack(data_dir)`` yields a
``PgStack``: a local stack on a fresh PostgreSQL schema with 3,000 demo records, reached through a
``Proxy`` the test can cut; it is stopped and its schema dropped afterwards.
"""
from __future__ import annotations

import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from shared.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.e2e.client import Account, Client, utcnow
from tests.stack.launcher import StackProcess, stack_env
from tests.support.database import PG_URL, drop_schema, require_postgres
from tests.support.fixture_manifest import e2e_manifest
from tests.support.proxy import Proxy


def start_local_stack(data_dir: Path, demo_rows: int | str, **env: str) -> StackProcess:
    return StackProcess("infra.run_local", ["--manifest", str(e2e_manifest()), "--demo-rows", str(demo_rows)],
                        stack_env(data_dir, **env), data_dir).wait_ready()


def question_time() -> str:
    moment = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


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


def remote_target(base_url: str) -> Target:
    ws_url = os.environ.get("E2E_WS_URL") or base_url.rstrip("/").replace("http", "ws", 1) + "/ws"
    email, password = os.environ.get("E2E_EMAIL"), os.environ.get("E2E_PASSWORD")
    if not email or not password:
        pytest.fail("E2E_BASE_URL needs E2E_EMAIL and E2E_PASSWORD (an account with usage data)")
    return Target(Client(base_url, ws_url), email, password, now=question_time())


@dataclass
class PgStack:
    client: Client
    proxy: Proxy  # cut() takes the database away from the stack, restore() brings it back
    schema: str
    now: str

    def demo(self) -> Account:
        return self.client.login(DEMO_EMAIL, DEMO_PASSWORD)


def running_pg_stack(data_dir: Path) -> Iterator[PgStack]:
    if os.environ.get("E2E_BASE_URL"):
        pytest.skip("needs control of the stack's database: only with the local stack")
    require_postgres()
    upstream = make_url(PG_URL)
    proxy = Proxy((upstream.host or "127.0.0.1", upstream.port or 5432))
    schema = f"tw_e2e_{uuid.uuid4().hex[:12]}"
    process: StackProcess | None = None
    try:
        process = start_local_stack(data_dir, 3000, DATABASE_URL=proxy.url_for(PG_URL), TOKENWISE_DB_SCHEMA=schema,
                                    JWT_SECRET=secrets.token_urlsafe(48), DB_BACKOFF_MAX_S="0.5",
                                    DB_CONNECT_TIMEOUT_S="2", DB_STATUS_TIMEOUT_S="1")
        yield PgStack(Client(process.base_url, process.ws_url), proxy, schema, question_time())
        assert process.stop() == 0, process.output()
    finally:
        if process is not None and process.proc.poll() is None:
            process.kill()
        proxy.close()
        drop_schema(schema)
