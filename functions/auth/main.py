"""The auth function (entry point ``auth``): accounts, JWT sessions and the token check, under ``/auth``.

Routes: ``POST /auth/register`` (201), ``POST /auth/login``, ``POST /auth/refresh``,
``POST /auth/validate`` (always 200: ``{valid: true, user_id, email, expires_at}``
or ``{valid: false, error}``), ``GET /auth/me`` (Bearer), ``POST /auth/logout``
(Bearer; 204, also when the session was already revoked), ``GET /auth/health`` and
``/auth/health/ready``. Options: ``AUTH_MAX_BODY_BYTES`` (16384), and those of
``shared.auth.tokens``, ``shared.auth.passwords``, ``functions.auth.lockout`` and
``shared.db``. Importing this module stays light (no SQLAlchemy, Alembic or argon2,
no connection): the database, token and hashing code load in the background once the first
health probe has been answered, or with the first request that needs them if it comes sooner.
"""
from __future__ import annotations

from datetime import UTC, datetime

import flask
import functions_framework

from shared import config
from shared.auth.secret import secret_check
from shared.health import database_check, loading_check
from shared.http import FunctionApp, json_body

# The first health probe starts loading PyJWT and argon2 in the background (shared.preload), and the
# database check SQLAlchemy: the first real request finds them in memory instead of importing them.
app = FunctionApp("auth", "/auth", checks={
    "database": database_check, "jwt_secret": secret_check,
    "code": loading_check("the auth code", ("shared.auth.tokens", "functions.auth.fields", "shared.auth.passwords"))},
    required=("database", "jwt_secret", "code"))


def _body(request: flask.Request) -> dict:
    return json_body(request, max_bytes=config.env_int("AUTH_MAX_BODY_BYTES", 16 * 1024))


def _service():
    # Loaded on first use so that a cold start pays for SQLAlchemy and argon2 only when needed.
    from functions.auth import flows
    return flows


@app.route("/register", methods=("POST",))
def register(request: flask.Request):
    return _service().register(_body(request)), 201


@app.route("/login", methods=("POST",))
def login(request: flask.Request):
    return _service().login(_body(request))


@app.route("/refresh", methods=("POST",))
def refresh(request: flask.Request):
    return _service().refresh(_body(request))


@app.route("/validate", methods=("POST",))
def validate(request: flask.Request):
    from functions.auth.fields import required_string
    from shared.auth.tokens import ACCESS, TokenError, decode_token
    token = required_string(_body(request), "token")
    try:
        claims = decode_token(token, ACCESS)
    except TokenError as exc:
        return {"valid": False, "error": exc.code}
    expires_at = datetime.fromtimestamp(claims["exp"], UTC)
    return {"valid": True, "user_id": claims["sub"], "email": claims["email"],
            "expires_at": expires_at.isoformat().replace("+00:00", "Z")}


@app.route("/me", methods=("GET",))
def me(request: flask.Request):
    return _service().me(request)


@app.route("/logout", methods=("POST",))
def logout(request: flask.Request):
    _service().logout(request)
    return flask.Response(status=204)


@functions_framework.http
def auth(request: flask.Request) -> flask.Response:
    return app(request)
