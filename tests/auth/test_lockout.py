"""Repeated wrong passwords lock the account (429 + Retry-After), escalating; the lock ends by itself."""
from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import select

from functions.auth.lockout import lock_period_s
from shared.db import transaction
from shared.db.schema import users
from tests.support.auth_client import PASSWORD, error_code, register
from tests.support.identity import unique_email


@pytest.fixture
def quick_lock(monkeypatch):
    monkeypatch.setenv("AUTH_LOCKOUT_THRESHOLD", "3")
    monkeypatch.setenv("AUTH_LOCKOUT_BASE_S", "1")
    monkeypatch.setenv("AUTH_LOCKOUT_MAX_S", "60")


def _login(client, email, password):
    return client.post("/auth/login", json={"email": email, "password": password})


def _wait_out(response) -> None:
    time.sleep(int(response.headers["Retry-After"]) + 0.1)


def test_failures_lock_then_the_lock_ends(client, quick_lock):
    email = register(client)["user"]["email"]
    for _ in range(2):
        wrong = _login(client, email, "wrong-password-1")
        assert wrong.status_code == 401
        assert error_code(wrong) == "invalid_credentials"

    locking = _login(client, email, "wrong-password-1")
    assert locking.status_code == 429
    assert locking.headers["Retry-After"] == "1"
    assert locking.get_json()["error"] == {
        "code": "account_locked", "message": "Too many failed logins for this account; try again later.",
        "details": {"retry_after_s": 1}}

    # While locked even the right password is refused, without counting as a failure.
    locked = _login(client, email, PASSWORD)
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "1"

    _wait_out(locked)
    ok = _login(client, email, PASSWORD)
    assert ok.status_code == 200
    with transaction() as conn:
        row = conn.execute(select(users.c.failed_logins, users.c.locked_until).where(users.c.email == email)).one()
    assert row.failed_logins == 0 and row.locked_until is None


def test_lock_period_escalates(client, quick_lock):
    email = register(client)["user"]["email"]
    statuses = [_login(client, email, "wrong-password-1").status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    first = _login(client, email, "wrong-password-1")
    assert first.headers["Retry-After"] == "1"
    _wait_out(first)
    # The count carries on after a lock: the next round of three locks twice as long.
    statuses = [_login(client, email, "wrong-password-1") for _ in range(3)]
    assert [r.status_code for r in statuses] == [401, 401, 429]
    assert statuses[-1].headers["Retry-After"] == "2"
    assert statuses[-1].get_json()["error"]["details"] == {"retry_after_s": 2}


def test_success_resets_the_count(client, quick_lock):
    email = register(client)["user"]["email"]
    assert [_login(client, email, "wrong-password-1").status_code for _ in range(2)] == [401, 401]
    assert _login(client, email, PASSWORD).status_code == 200
    assert [_login(client, email, "wrong-password-1").status_code for _ in range(2)] == [401, 401]
    assert _login(client, email, PASSWORD).status_code == 200


def test_unknown_emails_are_never_locked(client, quick_lock):
    email = unique_email("ghost")
    assert [_login(client, email, "whatever-password").status_code for _ in range(5)] == [401] * 5


def test_lock_period_rule(monkeypatch):
    monkeypatch.setenv("AUTH_LOCKOUT_THRESHOLD", "5")
    monkeypatch.setenv("AUTH_LOCKOUT_BASE_S", "60")
    monkeypatch.setenv("AUTH_LOCKOUT_MAX_S", "3600")
    assert [lock_period_s(n) for n in (0, 1, 4, 6, 9)] == [0.0] * 5
    assert [lock_period_s(n) for n in (5, 10, 15, 20, 25, 30, 35, 500)] == [
        60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_unknown_email_costs_a_password_check(sqlite_client, monkeypatch):
    """With real Argon2 cost, an unknown email takes about as long as a wrong password (no timing oracle)."""
    monkeypatch.setenv("ARGON2_TIME_COST", "2")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "19456")
    monkeypatch.setenv("AUTH_LOCKOUT_THRESHOLD", "1000")
    email = register(sqlite_client)["user"]["email"]  # hashed at the real cost set above
    known, unknown = [], []
    for _ in range(5):
        for target, samples in ((email, known), (unique_email("ghost"), unknown)):
            started = time.perf_counter()
            response = _login(sqlite_client, target, "wrong-password-1")
            samples.append(time.perf_counter() - started)
            assert response.status_code == 401
    # A lookup alone takes about a millisecond; a 19 MiB Argon2 check tens of them.
    assert statistics.median(unknown) > 0.5 * statistics.median(known)
