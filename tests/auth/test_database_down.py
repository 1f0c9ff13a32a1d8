"""The auth unit without its database: it starts, says why in health, answers 503, and recovers by itself."""
from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import make_url

from shared.db import reset_engine
from tests.support.auth_client import (
    PASSWORD,
    bearer,
    error_code,
    make_client,
    register,
)
from tests.support.forged_tokens import forge
from tests.support.identity import unique_email
from tests.support.ports import free_port as closed_port
from tests.support.proxy import Proxy


@pytest.fixture
def fast_failure(monkeypatch):
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "2")
    monkeypatch.setenv("DB_BACKOFF_MAX_S", "0.5")
    monkeypatch.setenv("DB_STATUS_TIMEOUT_S", "1.5")


def _assert_db_unavailable(response):
    assert response.status_code == 503
    assert error_code(response) == "database_unavailable"
    assert response.get_json()["error"]["details"]["reason"]


# The closed port is taken when the test runs: an id fixed at collection is the same in every xdist worker.
@pytest.mark.parametrize("url, status", [
    ("postgresql+pg8000://postgres@127.0.0.1:{closed_port}/test", "degraded"),
    ("not a database url", "not_configured"),
    ("mysql://user@127.0.0.1/db", "not_configured"),
])
def test_database_unreachable_or_misconfigured(monkeypatch, fast_failure, url, status):
    monkeypatch.setenv("DATABASE_URL", url.format(closed_port=closed_port()))
    reset_engine()
    client = make_client()
    health = client.get("/auth/health")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded"
    assert body["database_status"] == status
    assert body["reasons"]["database"] == body["checks"]["database"]["error"]
    assert list(body["reasons"]) == ["database"]
    assert client.get("/auth/health/ready").status_code == 503

    _assert_db_unavailable(client.post("/auth/register", json={"email": unique_email(), "password": PASSWORD}))
    _assert_db_unavailable(client.post("/auth/login", json={"email": unique_email(), "password": PASSWORD}))
    # The token check needs no database: other units keep authenticating.
    assert client.post("/auth/validate", json={"token": forge()}).get_json()["valid"] is True


def _wait_for(client, status: str, timeout_s: float = 15.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while True:
        body = client.get("/auth/health").get_json()
        if body["status"] == status or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


@pytest.mark.postgres
def test_outage_and_recovery_against_postgresql(pg_db, monkeypatch, fast_failure):
    url = make_url(pg_db.url)
    proxy = Proxy((url.host, url.port or 5432))
    try:
        monkeypatch.setenv("DATABASE_URL", proxy.url_for(pg_db.url))
        reset_engine()
        client = make_client()
        pair = register(client)
        email = pair["user"]["email"]
        assert _wait_for(client, "healthy")["database_status"] == "connected"

        proxy.cut()
        down = _wait_for(client, "degraded")
        assert down["status"] == "degraded"
        assert down["database_status"] == "degraded"
        assert down["reasons"]["database"]
        assert client.get("/auth/health/ready").status_code == 503
        _assert_db_unavailable(client.post("/auth/login", json={"email": email, "password": PASSWORD}))
        _assert_db_unavailable(client.get("/auth/me", headers=bearer(pair["access_token"])))
        assert client.post("/auth/validate", json={"token": pair["access_token"]}).get_json()["valid"] is True

        proxy.restore()  # same port: the unit is not restarted or reconfigured
        up = _wait_for(client, "healthy")
        assert up["status"] == "healthy"
        assert up["database_status"] == "connected"
        assert client.get("/auth/health/ready").status_code == 200
        assert client.post("/auth/login", json={"email": email, "password": PASSWORD}).status_code == 200
    finally:
        proxy.close()
        reset_engine()
