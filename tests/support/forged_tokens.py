"""Tokens a test makes itself, to attack or probe the token checks.

``claims(**overrides)`` are the claims of a well-formed access token (``None`` removes one);
``forge(payload=None, key=None, algorithm="HS256")`` signs them (default: with the session's secret);
``unsigned(payload)`` is an ``alg: none`` token.
"""
from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from tests.support.identity import TEST_SECRET


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(**overrides) -> dict:
    """Claims of a well-formed access token; ``None`` as a value removes the claim."""
    now = datetime.now(UTC)
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
    return f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{_b64(json.dumps(body).encode())}."
