"""What the auth routes do: sign up, log in, rotate refresh tokens, log out, describe the caller.

Each write is one transaction; tokens are signed inside it, so a missing key
leaves nothing behind. Register, login and refresh answer
``{access_token, refresh_token, token_type, expires_in, user}``. Refresh tokens
rotate: presenting one that was already exchanged is treated as theft, and the
whole session is revoked. Logout revokes the session of the access token it is
given; access tokens are checked statelessly elsewhere and lapse within their
short lifetime (``ACCESS_TOKEN_TTL_S``), while ``/auth/me`` also checks the session.
Lockout options: see ``functions.auth.lockout``.
"""
from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

import flask
from sqlalchemy.exc import IntegrityError

from functions.auth import fields, lockout
from shared.auth import accounts, passwords
from shared.auth.request import authenticate
from shared.auth.secret import jwt_secret
from shared.auth.tokens import (
    REFRESH,
    TokenError,
    access_ttl_s,
    decode_token,
    issue_access_token,
    issue_refresh_token,
    refresh_ttl_s,
)
from shared.clock import utcnow
from shared.db import transaction
from shared.errors import Conflict, TooManyRequests, Unauthorized
from shared.logging import get_logger

log = get_logger("auth")


def _token_pair(user: accounts.User, session_id: str, refresh_jti: str) -> dict:
    access, _ = issue_access_token(user.id, user.email, session_id)
    refresh, _ = issue_refresh_token(user.id, session_id, refresh_jti)
    return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
            "expires_in": access_ttl_s(), "user": user.public()}


def _start_session(conn, user: accounts.User, now: datetime) -> dict:
    jti = uuid.uuid4().hex
    session_id = accounts.create_session(conn, user.id, jti, now, now + timedelta(seconds=refresh_ttl_s()))
    return _token_pair(user, session_id, jti)


def _invalid_credentials() -> Unauthorized:
    return Unauthorized("The email or password is incorrect.", code="invalid_credentials")


def _locked(until: datetime, now: datetime) -> TooManyRequests:
    wait = max(1, math.ceil((until - now).total_seconds()))
    return TooManyRequests("Too many failed logins for this account; try again later.", wait,
                           code="account_locked")


def register(body: dict) -> dict:
    email, password, name = fields.registration(body)
    jwt_secret()  # fail closed (503) before anything is written
    with transaction() as conn:
        taken = accounts.find_user_by_email(conn, email) is not None
    if taken:
        raise _email_taken()
    password_hash = passwords.hash_password(password)
    now = utcnow()
    try:
        with transaction() as conn:
            user = accounts.insert_user(conn, email, name, password_hash, now)
            pair = _start_session(conn, user, now)
    except IntegrityError:  # a concurrent sign-up with the same email won the race
        raise _email_taken() from None
    log.info("user registered", extra={"fields": {"user_id": user.id}})
    return pair


def _email_taken() -> Conflict:
    return Conflict("An account with this email already exists.", {"field": "email"}, code="email_taken")


def login(body: dict) -> dict:
    email, password = fields.credentials(body)
    jwt_secret()
    user = None
    if fields.email_problem(email) is None:  # a malformed email cannot exist: no query needed
        with transaction() as conn:
            user = accounts.find_user_by_email(conn, email)
    if user is None:
        passwords.burn_verify(password)
        raise _invalid_credentials()
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        raise _locked(user.locked_until, now)
    if not passwords.verify_password(user.password_hash, password):
        raise _failed_login(user, now)
    new_hash = passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    with transaction() as conn:
        if not accounts.clear_failures(conn, user.id, now, new_hash):
            # A concurrent wrong guess locked the account while this password was being checked.
            current = accounts.get_user(conn, user.id)
            if current is None:  # or the account was deleted meanwhile: as for any unknown account
                raise _invalid_credentials()
            raise _locked(current.locked_until or now, now)
        pair = _start_session(conn, user, now)
    log.info("login", extra={"fields": {"user_id": user.id}})
    return pair


def _failed_login(user: accounts.User, now: datetime) -> Unauthorized | TooManyRequests:
    """Record a wrong password; the answer is 401, or 429 when this failure starts a lock."""
    with transaction() as conn:
        failures = accounts.record_failed_login(conn, user.id)
        period = lockout.lock_period_s(failures)
        if period:
            accounts.lock_user(conn, user.id, now + timedelta(seconds=period))
    if period:
        log.warning("account locked", extra={"fields": {"user_id": user.id, "failures": failures,
                                                        "lock_s": period}})
        return _locked(now + timedelta(seconds=period), now)
    return _invalid_credentials()


def refresh(body: dict) -> dict:
    token = fields.required_string(body, "refresh_token")
    try:
        claims = decode_token(token, REFRESH)
    except TokenError as exc:
        raise Unauthorized(exc.message, code=exc.code) from None
    user_id, session_id, jti = claims["sub"], claims["sid"], claims["jti"]
    now = utcnow()
    new_jti = uuid.uuid4().hex
    expires_at = now + timedelta(seconds=refresh_ttl_s())
    with transaction() as conn:
        if accounts.rotate_session(conn, session_id, user_id, jti, new_jti, now, expires_at):
            user = accounts.get_user(conn, user_id)
            if user is None:
                raise accounts.user_not_found()
            return _token_pair(user, session_id, new_jti)
        refusal = _refusal(accounts.get_session(conn, session_id, user_id), jti, now)
        if refusal.code == "refresh_token_reused":
            accounts.revoke_session(conn, session_id, user_id, "refresh_token_reused", now)
            log.warning("refresh token reused; session revoked",
                        extra={"fields": {"user_id": user_id, "session_id": session_id}})
    raise refusal


def _refusal(session: accounts.Session | None, jti: str, now: datetime) -> Unauthorized:
    """Why a refresh token that lost the conditional update is refused."""
    if session is None:
        return Unauthorized("The refresh token's session does not exist.", code="session_not_found")
    if session.current_jti != jti:
        return Unauthorized("This refresh token was already used; the session has been revoked.",
                            code="refresh_token_reused")
    if session.revoked_at is not None:
        return Unauthorized("The session has been revoked.", code="session_revoked")
    return Unauthorized("The session has expired.", code="session_expired")


def logout(request: flask.Request) -> None:
    principal = authenticate(request)
    with transaction() as conn:
        revoked = accounts.revoke_session(conn, principal.session_id, principal.user_id, "logout",
                                       utcnow())
    log.info("logout", extra={"fields": {"user_id": principal.user_id, "revoked": revoked}})


def me(request: flask.Request) -> dict:
    principal = authenticate(request)
    with transaction() as conn:
        user = accounts.get_user(conn, principal.user_id)
        session = accounts.get_session(conn, principal.session_id, principal.user_id)
    if user is None:
        raise accounts.user_not_found()
    if session is None or session.revoked_at is not None:
        raise Unauthorized("The session has been revoked.", code="session_revoked")
    return {"user": {**user.public(), "created_at": user.created_at.isoformat() + "Z"},
            "session_id": session.id}
