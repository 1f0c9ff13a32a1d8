"""Refresh tokens rotate; a used one is refused and revokes its session; concurrent refreshes have one winner."""
from __future__ import annotations

import threading

from sqlalchemy import select

from shared.db import transaction
from shared.db.schema import auth_sessions
from tests.support.auth_client import (
    PASSWORD,
    bearer,
    error_code,
    make_client,
    register,
)


def _refresh(client, token):
    return client.post("/auth/refresh", json={"refresh_token": token})


def _session_row(session_id):
    with transaction() as conn:
        return conn.execute(select(auth_sessions).where(auth_sessions.c.id == session_id)).one()


def test_rotation_chain(client):
    pair = register(client)
    session_id = client.get("/auth/me", headers=bearer(pair["access_token"])).get_json()["session_id"]
    tokens = [pair["refresh_token"]]
    for _ in range(3):
        response = _refresh(client, tokens[-1])
        assert response.status_code == 200
        tokens.append(response.get_json()["refresh_token"])
    assert len(set(tokens)) == 4
    row = _session_row(session_id)
    assert row.revoked_at is None
    assert row.current_jti != ""


def test_reusing_a_rotated_token_revokes_the_session(client):
    pair = register(client)
    session_id = client.get("/auth/me", headers=bearer(pair["access_token"])).get_json()["session_id"]
    rotated = _refresh(client, pair["refresh_token"]).get_json()

    reused = _refresh(client, pair["refresh_token"])
    assert reused.status_code == 401
    assert reused.get_json()["error"] == {
        "code": "refresh_token_reused",
        "message": "This refresh token was already used; the session has been revoked.", "details": {}}

    # The thief's use poisons the whole family: the legitimate newest token is dead too.
    newest = _refresh(client, rotated["refresh_token"])
    assert newest.status_code == 401
    assert error_code(newest) == "session_revoked"
    me = client.get("/auth/me", headers=bearer(rotated["access_token"]))
    assert me.status_code == 401
    assert error_code(me) == "session_revoked"
    row = _session_row(session_id)
    assert row.revoked_at is not None and row.revoked_reason == "refresh_token_reused"
    # Presenting the old token again still says what it is.
    assert error_code(_refresh(client, pair["refresh_token"])) == "refresh_token_reused"


def test_reuse_leaves_other_sessions_alone(client):
    first = register(client)
    email = first["user"]["email"]
    second = client.post("/auth/login", json={"email": email, "password": PASSWORD}).get_json()
    assert _refresh(client, first["refresh_token"]).status_code == 200
    assert _refresh(client, first["refresh_token"]).status_code == 401
    assert _refresh(client, second["refresh_token"]).status_code == 200


def test_concurrent_refreshes_have_exactly_one_winner(database):
    client = make_client()
    pair = register(client)
    contenders = 6
    barrier = threading.Barrier(contenders)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    clients = iter([make_client() for _ in range(contenders)])

    def attempt():
        own = next(clients)
        barrier.wait()
        response = _refresh(own, pair["refresh_token"])
        with lock:
            results.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=attempt) for _ in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] + [401] * (contenders - 1)
    assert {body["error"]["code"] for status, body in results if status == 401} == {"refresh_token_reused"}
