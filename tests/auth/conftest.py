"""Fixtures for the auth tests: a client on each backend, cheap password hashing, token forging."""
from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta, timezone

import functions_framework
import jwt
import pytest

from tests.conftest import TEST_SECRET, unique_email

AUTH_SOURCE = "functions/auth/main.py"
PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture(autouse=True)
def _cheap_hashing(monkeypatch):
    """Argon2id at test cost: the parameters are options, the code path is the same."""
    monkeypatch.setenv("ARGON2_TIME_COST", "1")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "1024")


def make_client():
    return functions_framework.create_app("auth", AUTH_SOURCE).test_client()


@pytest.fixture
def client(database):
    """A test client of the auth function on SQLite and on PostgreSQL."""
    return make_client()


@pytest.fixture
def sqlite_client(sqlite_db):
    return make_client()


def register(client, email: str | None = None, password: str = PASSWORD, name: str | None = "Test User"):
    email = email or unique_email()
    response = client.post("/auth/register", json={"email": email, "password": password, "name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides) -> dict:
    """Claims of a well-formed access token; ``None`` as a value removes the claim."""
    now = datetime.now(timezone.utc)
    base = {"sub": str(uuid.uuid4()), "email": "forged@example.com", "sid": str(uuid.uuid4()),
            "typ": "access", "jti": uuid.uuid4().hex, "iat": now, "nbf": now,
            "exp": now + timedelta(minutes=5), "iss": "tokenwise", "aud": "tokenwise-api"}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not None}


def forge(payload: dict | None = None, key: bytes | str | None = None, algorithm: str = "HS256") -> str:
    return jwt.encode(payload if payload is not None else claims(), key or TEST_SECRET.encode(),
                      algorithm=algorithm)


def unsigned(payload: dict) -> str:
    """An ``alg: none`` token (PyJWT refuses to make one for us, as it should)."""
    body = {k: int(v.timestamp()) if isinstance(v, datetime) else v for k, v in payload.items()}
    return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{b64(json.dumps(body).encode())}."
