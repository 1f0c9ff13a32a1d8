"""The account and session rows behind login, refresh and logout, on each backend.

Each conditional UPDATE is what keeps a stolen, expired or revoked refresh token out, so every
condition is tried on its own, at its boundary.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from shared.auth import accounts
from shared.db import transaction
from tests.support.identity import unique_email

NOW = datetime(2026, 11, 1, 12, 0, 0)
LATER = NOW + timedelta(days=30)


@pytest.fixture
def user(database) -> accounts.User:
    with transaction() as conn:
        return accounts.insert_user(conn, unique_email("acct"), "Acct", "hash-1", NOW)


@pytest.fixture
def session(user) -> str:
    with transaction() as conn:
        return accounts.create_session(conn, user.id, "jti-1", NOW, LATER)


def _session(session_id: str, user_id: str) -> accounts.Session | None:
    with transaction() as conn:
        return accounts.get_session(conn, session_id, user_id)


def _rotate(session_id, user_id, presented="jti-1", now=NOW, expires_at=LATER + timedelta(days=1)) -> bool:
    with transaction() as conn:
        return accounts.rotate_session(conn, session_id, user_id, presented, "jti-2", now, expires_at)


def _revoke(session_id, user_id, now=NOW) -> bool:
    with transaction() as conn:
        return accounts.revoke_session(conn, session_id, user_id, "logout", now)


def test_users_are_found_by_id_and_email_only(user):
    with transaction() as conn:
        assert accounts.get_user(conn, user.id) == user
        assert accounts.find_user_by_email(conn, user.email) == user
        assert accounts.get_user(conn, str(uuid.uuid4())) is None
        assert accounts.find_user_by_email(conn, unique_email("nobody")) is None
    assert user.public() == {"id": user.id, "email": user.email, "name": "Acct"}
    assert (user.failed_logins, user.locked_until, user.created_at) == (0, None, NOW)


def test_a_session_belongs_to_its_user(user, session):
    assert _session(session, user.id) == accounts.Session(session, user.id, "jti-1", LATER, None, None)
    assert _session(session, str(uuid.uuid4())) is None


def test_rotation_swaps_the_live_token_and_moves_the_expiry(user, session):
    new_expiry = LATER + timedelta(days=1)
    assert _rotate(session, user.id, expires_at=new_expiry) is True
    assert _session(session, user.id) == accounts.Session(session, user.id, "jti-2", new_expiry, None, None)
    assert _rotate(session, user.id) is False  # jti-1 is spent


@pytest.mark.parametrize("case", ["other session", "other user", "old token", "expired now", "revoked"])
def test_rotation_refuses_each_condition_on_its_own(user, session, case):
    with transaction() as conn:
        other = accounts.create_session(conn, user.id, "jti-9", NOW, LATER)
    session_id, user_id, presented, now = session, user.id, "jti-1", NOW
    if case == "other session":
        session_id, presented = other, "jti-1"
    elif case == "other user":
        user_id = str(uuid.uuid4())
    elif case == "old token":
        presented = "jti-0"
    elif case == "expired now":
        now = LATER
    else:
        assert _revoke(session, user.id) is True
    assert _rotate(session_id, user_id, presented, now) is False
    assert _session(session, user.id).current_jti == "jti-1"


def test_rotation_a_moment_before_expiry_still_wins(user, session):
    assert _rotate(session, user.id, now=LATER - timedelta(microseconds=1)) is True


def test_revocation_happens_once_and_only_for_the_owner(user, session):
    assert _revoke(session, str(uuid.uuid4())) is False
    assert _session(session, user.id).revoked_at is None
    assert _revoke(session, user.id, now=NOW + timedelta(minutes=5)) is True
    revoked = _session(session, user.id)
    assert (revoked.revoked_at, revoked.revoked_reason) == (NOW + timedelta(minutes=5), "logout")
    assert _revoke(session, user.id, now=NOW + timedelta(minutes=6)) is False
    assert _session(session, user.id).revoked_at == NOW + timedelta(minutes=5)


def test_failures_count_up_and_clear_unless_a_lock_is_in_force(user):
    with transaction() as conn:
        assert [accounts.record_failed_login(conn, user.id) for _ in range(3)] == [1, 2, 3]
        accounts.lock_user(conn, user.id, NOW + timedelta(minutes=1))
        assert accounts.clear_failures(conn, user.id, NOW) is False
        assert accounts.get_user(conn, user.id).failed_logins == 3
        assert accounts.clear_failures(conn, user.id, NOW + timedelta(minutes=1)) is True  # the lock ends then
        cleared = accounts.get_user(conn, user.id)
    assert (cleared.failed_logins, cleared.locked_until, cleared.password_hash) == (0, None, "hash-1")


def test_clearing_failures_can_store_a_rehashed_password(user):
    with transaction() as conn:
        accounts.record_failed_login(conn, user.id)
        assert accounts.clear_failures(conn, user.id, NOW, new_hash="hash-2") is True
        assert accounts.clear_failures(conn, str(uuid.uuid4()), NOW) is False
        assert accounts.get_user(conn, user.id).password_hash == "hash-2"
