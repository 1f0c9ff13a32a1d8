"""``make run`` with the database down: it serves degraded, then migrates and seeds when the database is back.

``python -m infra.run_local`` runs as a real process with the auth function and the chat container,
its ``DATABASE_URL`` pointing at a proxy that is not listening. It must serve all the same: ``/health``
says ``degraded`` with the reason and auth answers 503 ``database_unavailable``. Then the proxy
starts, forwarding to the test PostgreSQL server (a fresh schema, dropped afterwards): within a
bounded wait the stack migrates, seeds the demo account, and ``/health`` turns healthy, no restart.
"""
from __future__ import annotations

import json
import signal
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.stack.launcher import StackProcess, stack_env
from tests.stack.manifests import final_unit, write
from tests.support.database import PG_URL, require_postgres
from tests.support.proxy import Proxy

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DEMO_ROWS = 40
RECOVERY_DEADLINE_S = 60.0


@pytest.fixture
def fresh_schema():
    require_postgres()
    schema = f"tw_run_local_{uuid.uuid4().hex[:12]}"
    yield schema
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def database_down():
    """A proxy to the test server that is not listening yet: ``restore()`` brings the database up."""
    url = make_url(PG_URL)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.cut()
    yield proxy
    proxy.close()


def _login(http: requests.Session, base: str) -> requests.Response:
    return http.post(f"{base}/auth/login", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD}, timeout=30)


def _stored(schema: str) -> tuple[int, int]:
    engine = create_engine(PG_URL)
    try:
        with engine.connect() as conn:
            users = conn.execute(text(f"SELECT id FROM {schema}.users WHERE email = :email"),
                                 {"email": DEMO_EMAIL}).scalars().all()
            records = conn.execute(text(f"SELECT count(*) FROM {schema}.usage_records WHERE user_id = :user"),
                                   {"user": users[0]}).scalar_one() if users else 0
    finally:
        engine.dispose()
    return len(users), records


def test_serves_degraded_then_sets_the_database_up_when_it_comes_back(tmp_path, fresh_schema, database_down):
    manifest = write(tmp_path / "manifest.toml", [final_unit("auth"), final_unit("chat")])
    env = stack_env(tmp_path, DATABASE_URL=database_down.url_for(PG_URL), TOKENWISE_DB_SCHEMA=fresh_schema,
                    DB_BACKOFF_MAX_S="0.5", DB_CONNECT_TIMEOUT_S="2")
    stack = StackProcess("infra.run_local", ["--manifest", str(manifest), "--demo-rows", str(DEMO_ROWS),
                                             "--demo-days", "3"], env, tmp_path).wait_ready()
    http = requests.Session()
    http.trust_env = False
    try:
        down = http.get(stack.base_url + "/health", timeout=30)
        assert down.status_code == 200, down.text
        health = down.json()
        refused = f"InterfaceError: Can't create a connection to host 127.0.0.1 and port {database_down.port}"
        assert health["status"] == "degraded", health
        assert health["reasons"]["database"].startswith(refused), health
        assert health["reasons"]["database_setup"].startswith(
            f"migrations and demo data wait for the database ({refused}"), health
        assert health["units"] == {"auth": {"status": "loaded", "kind": "function"},
                                   "chat": {"status": "loaded", "kind": "container"}}
        login = _login(http, stack.base_url)
        assert login.status_code == 503, login.text
        assert login.json()["error"]["code"] == "database_unavailable"

        database_down.restore()
        deadline = time.monotonic() + RECOVERY_DEADLINE_S
        while (health := http.get(stack.base_url + "/health", timeout=30).json())["status"] != "healthy":
            assert time.monotonic() < deadline, f"still {health}\n{stack.output()}"
            time.sleep(0.25)
        assert "reasons" not in health, health
        assert health["database_status"] == "connected"
        login = _login(http, stack.base_url)
        assert login.status_code == 200, login.text
        assert login.json()["access_token"]
    finally:
        http.close()
        assert stack.stop(signal.SIGINT) == 0, stack.output()

    assert _stored(fresh_schema) == (1, DEMO_ROWS)
    logged = [json.loads(line) for line in stack.lines if not line.startswith("Demo login: ")]
    waiting = [entry for entry in logged if entry["message"] == "database not ready: serving degraded, setup retried"]
    assert waiting and waiting[0]["severity"] == "WARNING" and waiting[0]["reason"].startswith(refused)
    ready = [entry for entry in logged if entry["message"] == "database ready"]
    assert len(ready) == 1, logged
    assert (ready[0]["user_created"], ready[0]["records_before"], ready[0]["records_loaded"]) == (True, 0, DEMO_ROWS)
    assert "Demo login: demo@tokenwise.dev / spend-less-2026" in stack.lines
    access = [json.loads(line) for line in stack.stderr_path.read_text().splitlines() if line.strip()]
    assert [(entry["method"], entry["status"]) for entry in access if entry.get("path") == "/auth/login"] == [
        ("POST", "503"), ("POST", "200")]
