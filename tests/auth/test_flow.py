"""The whole account life cycle on SQLite and PostgreSQL: register, login, me, refresh, logout."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from shared.db import transaction
from shared.db.schema import auth_sessions, users
from tests.support.auth_client import PASSWORD, bearer, error_code, register
from tests.support.identity import unique_email

TOKEN_KEYS = {"access_token", "refresh_token", "token_type", "expires_in", "user"}


def test_register_login_me_refresh_logout(client, database):
    email = unique_email("flow")
    created = client.post("/auth/register", json={"email": email, "password": PASSWORD, "name": "Ada"})
    assert created.status_code == 201
    body = created.get_json()
    assert set(body) == TOKEN_KEYS
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["user"] == {"id": body["user"]["id"], "email": email, "name": "Ada"}
    user_id = body["user"]["id"]

    login = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200
    session = login.get_json()
    assert set(session) == TOKEN_KEYS
    assert session["user"] == {"id": user_id, "email": email, "name": "Ada"}

    me = client.get("/auth/me", headers=bearer(session["access_token"]))
    assert me.status_code == 200
    assert me.get_json()["user"]["id"] == user_id
    assert me.get_json()["user"]["email"] == email
    session_id = me.get_json()["session_id"]

    valid = client.post("/auth/validate", json={"token": session["access_token"]})
    assert valid.status_code == 200
    answer = valid.get_json()
    assert answer["valid"] is True and answer["user_id"] == user_id and answer["email"] == email
    assert datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00")) > datetime.now(UTC)

    refreshed = client.post("/auth/refresh", json={"refresh_token": session["refresh_token"]})
    assert refreshed.status_code == 200
    pair = refreshed.get_json()
    assert set(pair) == TOKEN_KEYS
    assert pair["refresh_token"] != session["refresh_token"]
    assert client.get("/auth/me", headers=bearer(pair["access_token"])).get_json()["session_id"] == session_id

    logout = client.post("/auth/logout", headers=bearer(pair["access_token"]))
    assert logout.status_code == 204
    assert logout.data == b""

    after = client.get("/auth/me", headers=bearer(pair["access_token"]))
    assert after.status_code == 401
    assert error_code(after) == "session_revoked"
    again = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401
    assert error_code(again) == "session_revoked"
    # Logging out twice is not an error: the session simply stays revoked.
    assert client.post("/auth/logout", headers=bearer(pair["access_token"])).status_code == 204

    with transaction() as conn:
        row = conn.execute(select(auth_sessions.c.revoked_at, auth_sessions.c.revoked_reason)
                           .where(auth_sessions.c.id == session_id)).one()
    assert row.revoked_at is not None and row.revoked_reason == "logout"


def test_other_sessions_survive_a_logout(client):
    first = register(client)
    email = first["user"]["email"]
    second = client.post("/auth/login", json={"email": email, "password": PASSWORD}).get_json()
    assert client.post("/auth/logout", headers=bearer(first["access_token"])).status_code == 204
    assert client.get("/auth/me", headers=bearer(second["access_token"])).status_code == 200
    assert client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}).status_code == 200


def test_email_is_normalised_and_unique(client):
    email = unique_email("Norm").upper()
    created = client.post("/auth/register", json={"email": f"  {email}  ", "password": PASSWORD})
    assert created.status_code == 201
    assert created.get_json()["user"]["email"] == email.lower()
    assert created.get_json()["user"]["name"] is None

    duplicate = client.post("/auth/register", json={"email": email.lower(), "password": PASSWORD})
    assert duplicate.status_code == 409
    assert duplicate.get_json()["error"] == {
        "code": "email_taken", "message": "An account with this email already exists.",
        "details": {"field": "email"}}

    login = client.post("/auth/login", json={"email": f" {email.title()} ", "password": PASSWORD})
    assert login.status_code == 200
    with transaction() as conn:
        count = conn.execute(select(users.c.id).where(users.c.email == email.lower())).all()
    assert len(count) == 1


def test_password_is_stored_as_argon2id(client):
    body = register(client)
    with transaction() as conn:
        stored = conn.execute(select(users.c.password_hash)
                              .where(users.c.id == body["user"]["id"])).scalar_one()
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_unknown_email_and_wrong_password_answer_the_same(client):
    email = register(client)["user"]["email"]
    wrong = client.post("/auth/login", json={"email": email, "password": "not-the-password"})
    unknown = client.post("/auth/login", json={"email": unique_email("ghost"), "password": PASSWORD})
    malformed = client.post("/auth/login", json={"email": "no-at-sign", "password": PASSWORD})
    for response in (wrong, unknown, malformed):
        assert response.status_code == 401
        assert response.get_json() == {"error": {
            "code": "invalid_credentials", "message": "The email or password is incorrect.", "details": {}}}
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="tokenwise"'


def test_nul_bytes_and_odd_text_never_reach_the_database_as_errors(client):
    """PostgreSQL refuses NUL in text: such input must be a 401/422, never a 500."""
    login = client.post("/auth/login", json={"email": "a\u0000b@example.com", "password": PASSWORD})
    assert login.status_code == 401
    assert error_code(login) == "invalid_credentials"
    signup = client.post("/auth/register", json={"email": unique_email(), "password": PASSWORD,
                                                "name": "Bad\u0000Name"})
    assert signup.status_code == 422
    assert signup.get_json()["error"]["details"]["fields"] == {"name": "must not contain control characters"}
    emoji = client.post("/auth/register", json={"email": unique_email(), "password": "pässwörd-🔑-long",
                                               "name": "Zoë 🚀"})
    assert emoji.status_code == 201
    assert emoji.get_json()["user"]["name"] == "Zoë 🚀"
    again = client.post("/auth/login", json={"email": emoji.get_json()["user"]["email"],
                                             "password": "pässwörd-🔑-long"})
    assert again.status_code == 200
