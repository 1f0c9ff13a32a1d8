"""Argon2id hashing, the password policy, and hashes upgraded when the cost parameters change."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from shared.auth import passwords
from shared.db import transaction
from shared.db.schema import users
from tests.support.auth_client import PASSWORD, register
from tests.support.identity import unique_email


def test_hash_and_verify():
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + "x")
    assert not passwords.verify_password("not-a-hash", PASSWORD)
    assert passwords.hash_password(PASSWORD) != stored  # salted


def test_default_cost_is_the_owasp_baseline(monkeypatch):
    for name in ("ARGON2_TIME_COST", "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM"):
        monkeypatch.delenv(name, raising=False)
    assert passwords.hash_password(PASSWORD).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_needs_rehash_follows_the_parameters(monkeypatch):
    stored = passwords.hash_password(PASSWORD)
    assert not passwords.needs_rehash(stored)
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "2048")
    assert passwords.needs_rehash(stored)
    assert passwords.needs_rehash("garbage")


@pytest.mark.parametrize("password, email, problem", [
    ("abcdefghi", "", "must be at least 10 characters"),
    ("abcdefghij", "", "is a well-known password"),
    ("zzzzzzzzzzzz", "", "must contain at least 5 different characters"),
    ("Sunshine12", "", "is a well-known password"),
    ("xx-bob.smith-yy", "bob.smith@example.com", "must not contain your email address"),
    ("correct horse battery staple", "", None),
    ("Bob-is-long-enough", "bob@example.com", None),  # local parts under 4 characters are too common to ban
    ("ñandú-ünïcode-🔑", "", None),
])
def test_policy(password, email, problem):
    assert passwords.password_problem(password, email) == problem


def test_login_upgrades_an_old_hash(client, monkeypatch):
    body = register(client)
    user_id = body["user"]["id"]
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "2048")
    assert client.post("/auth/login", json={"email": body["user"]["email"], "password": PASSWORD}).status_code == 200
    with transaction() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.id == user_id)).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=2048,t=1,p=1$")
    assert client.post("/auth/login", json={"email": body["user"]["email"], "password": PASSWORD}).status_code == 200


def test_first_check_for_an_unknown_email_does_not_hang(sqlite_client, monkeypatch):
    """The first unknown-email login under new cost parameters builds the hasher and the dummy hash."""
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "1032")  # parameters no other test has used
    outcome: list[int] = []
    worker = threading.Thread(target=lambda: outcome.append(sqlite_client.post(
        "/auth/login", json={"email": unique_email("first"), "password": PASSWORD}).status_code), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert outcome == [401]


def test_passwords_with_lone_surrogates_hash_and_verify():
    odd = "ab\ud800cdefghijk"
    assert passwords.password_problem(odd) == "must be valid Unicode text"
    stored = passwords.hash_password(odd)
    assert passwords.verify_password(stored, odd)
    assert not passwords.verify_password(stored, "abcdefghijk")


def test_an_unknown_email_is_checked_against_one_dummy_hash_of_the_current_cost(monkeypatch):
    monkeypatch.setattr(passwords, "_dummy_hash", None)
    passwords.burn_verify(PASSWORD)
    dummy = passwords._dummy_hash
    assert dummy is not None and dummy.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    passwords.burn_verify(PASSWORD)
    assert passwords._dummy_hash is dummy  # made once, not on every unknown email
    monkeypatch.setenv("ARGON2_TIME_COST", "2")
    passwords.burn_verify(PASSWORD)
    assert passwords._dummy_hash.startswith("$argon2id$v=19$m=1024,t=2,p=1$")  # same work as a real check


@pytest.mark.parametrize("password, email, problem", [
    ("vwxyzvwxyz", "", None),                                          # exactly 10 long and 5 different
    ("vwxyvwxyvw", "", "must contain at least 5 different characters"),
    ("abcde" * 25 + "xyz", "", None),                                  # exactly 128
    ("abcde" * 25 + "wxyz", "", "must be at most 128 characters"),
    ("xx-ANNA-yy-zz", "anna@example.com", "must not contain your email address"),  # a 4-character local part
    ("xx-bob.smith-yy", "bob.smith@evil@example.com", "must not contain your email address"),
])
def test_policy_at_its_edges(password, email, problem):
    assert passwords.password_problem(password, email) == problem


def test_the_cost_parameters_come_from_the_environment_with_floors(monkeypatch):
    monkeypatch.setattr(passwords, "_hashers", {})  # build the hashers afresh, as a new process would
    monkeypatch.setenv("ARGON2_PARALLELISM", "2")
    assert passwords.hash_password(PASSWORD).startswith("$argon2id$v=19$m=1024,t=1,p=2$")
    monkeypatch.setenv("ARGON2_TIME_COST", "0")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", "7")
    monkeypatch.setenv("ARGON2_PARALLELISM", "0")
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert passwords.verify_password(stored, PASSWORD)
    assert passwords._hasher() is passwords._hashers[(1, 8, 1)]
    assert sorted(passwords._hashers) == [(1, 8, 1), (1, 1024, 2)]
