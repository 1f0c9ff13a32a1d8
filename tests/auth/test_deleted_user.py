"""A real access token whose account has been deleted: /auth/me answers 401 user_not_found."""
from __future__ import annotations

from sqlalchemy import delete

from shared.db import transaction
from shared.db.schema import users
from tests.support.auth_client import bearer, register


def test_me_answers_401_user_not_found(client):
    account = register(client)
    login = client.post("/auth/login", json={"email": account["user"]["email"], "password": "Correct-Horse-Battery-9"})
    assert login.status_code == 200
    token = login.get_json()["access_token"]
    assert client.get("/auth/me", headers=bearer(token)).status_code == 200
    with transaction() as conn:
        conn.execute(delete(users).where(users.c.id == account["user"]["id"]))
    response = client.get("/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert response.get_json()["error"] == {"code": "user_not_found",
                                            "message": "The account of this token no longer exists.", "details": {}}
