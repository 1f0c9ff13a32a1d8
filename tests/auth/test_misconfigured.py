"""Production without a usable JWT_SECRET fails closed: 503 misconfigured, health degraded naming why."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from shared.db import transaction
from shared.db.schema import users
from tests.support.auth_client import PASSWORD, bearer, make_client
from tests.support.forged_tokens import forge
from tests.support.identity import unique_email


@pytest.fixture(params=["unset", "short"])
def production_without_secret(request, monkeypatch, database):
    monkeypatch.setenv("TOKENWISE_ENV", "production")
    if request.param == "unset":
        monkeypatch.delenv("JWT_SECRET")
        return "JWT_SECRET is not set"
    monkeypatch.setenv("JWT_SECRET", "too-short-secret")
    return "JWT_SECRET is shorter than 32 bytes"


def _assert_misconfigured(response, reason):
    assert response.status_code == 503
    assert response.get_json()["error"] == {"code": "misconfigured", "message": "The service is misconfigured.",
                                            "details": {"reason": reason}}


def test_token_routes_answer_503(production_without_secret):
    reason = production_without_secret
    client = make_client()
    email = unique_email("prod")
    _assert_misconfigured(client.post("/auth/register", json={"email": email, "password": PASSWORD}), reason)
    _assert_misconfigured(client.post("/auth/login", json={"email": email, "password": PASSWORD}), reason)
    _assert_misconfigured(client.post("/auth/refresh", json={"refresh_token": forge()}), reason)
    _assert_misconfigured(client.post("/auth/validate", json={"token": forge()}), reason)
    _assert_misconfigured(client.get("/auth/me", headers=bearer(forge())), reason)
    _assert_misconfigured(client.post("/auth/logout", headers=bearer(forge())), reason)
    with transaction() as conn:  # nothing half-written
        assert conn.execute(select(users.c.id).where(users.c.email == email)).first() is None


def test_health_is_degraded_and_not_ready(production_without_secret):
    reason = production_without_secret
    client = make_client()
    health = client.get("/auth/health")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded"
    assert body["service"] == "auth"
    assert body["database_status"] == "connected"
    assert body["reasons"] == {"jwt_secret": reason}
    assert body["checks"]["jwt_secret"] == {"ok": False, "error": reason}
    ready = client.get("/auth/health/ready")
    assert ready.status_code == 503
    assert ready.get_json()["reasons"] == {"jwt_secret": reason}


def test_on_cloud_run_production_is_the_default(monkeypatch, sqlite_db):
    monkeypatch.delenv("TOKENWISE_ENV")
    monkeypatch.delenv("JWT_SECRET")
    monkeypatch.setenv("K_SERVICE", "auth")
    client = make_client()
    _assert_misconfigured(client.post("/auth/validate", json={"token": forge()}), "JWT_SECRET is not set")
    assert client.get("/auth/health").get_json()["reasons"] == {"jwt_secret": "JWT_SECRET is not set"}


def test_production_with_a_good_secret_is_healthy(monkeypatch, database):
    monkeypatch.setenv("TOKENWISE_ENV", "production")
    client = make_client()
    health = client.get("/auth/health").get_json()
    assert health["status"] == "healthy"
    assert health["checks"]["jwt_secret"] == {"ok": True, "environment": "production"}
    assert client.get("/auth/health/ready").status_code == 200
    email = unique_email("prod")
    assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201


def test_development_generates_and_keeps_a_secret(monkeypatch, sqlite_db, tmp_path):
    monkeypatch.delenv("JWT_SECRET")
    monkeypatch.setenv("TOKENWISE_DATA_DIR", str(tmp_path))
    client = make_client()
    pair = client.post("/auth/register", json={"email": unique_email("dev"), "password": PASSWORD})
    assert pair.status_code == 201
    secret_file = tmp_path / "jwt_secret"
    assert len(secret_file.read_bytes().strip()) >= 32
    assert secret_file.stat().st_mode & 0o777 == 0o600
    # A restarted unit reads the same secret: earlier tokens stay valid.
    again = make_client().post("/auth/validate", json={"token": pair.get_json()["access_token"]})
    assert again.get_json()["valid"] is True
