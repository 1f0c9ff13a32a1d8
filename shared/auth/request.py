"""Authenticate a request locally with the shared secret: ``authenticate(request) -> Principal``."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import flask

from shared.auth.tokens import ACCESS, TokenError, decode_token
from shared.errors import Unauthorized


@dataclass(frozen=True)
class Principal:
    """Who is asking: every query a unit makes is scoped to ``user_id``."""
    user_id: str
    email: str
    session_id: str
    expires_at: datetime


def bearer_token(request: flask.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def principal_from_token(token: str) -> Principal:
    """Claims of a valid access token as a ``Principal``; raises ``TokenError``."""
    claims = decode_token(token, ACCESS)
    return Principal(claims["sub"], claims["email"], claims["sid"],
                     datetime.fromtimestamp(claims["exp"], UTC))


def authenticate(request: flask.Request) -> Principal:
    """The caller of ``request`` (``Authorization: Bearer <access token>``), or 401 with a code."""
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Send an access token as 'Authorization: Bearer <token>'.", code="missing_token")
    try:
        return principal_from_token(token)
    except TokenError as exc:
        raise Unauthorized(exc.message, code=exc.code) from None
