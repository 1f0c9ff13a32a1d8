"""The auth function through functions-framework's test client, and reading its answers.

``make_client()`` is a test client of ``functions/auth/main.py`` on the active database;
``register(client, email=None, password=PASSWORD, name=...)`` signs a user up (a fresh email unless given)
and returns the 201 body; ``bearer(token)`` is an Authorization header; ``error_code(response)`` is the
``error.code`` of a JSON error body.
"""
from __future__ import annotations

import functions_framework

from tests.support.identity import unique_email

AUTH_SOURCE = "functions/auth/main.py"
PASSWORD = "Correct-Horse-Battery-9"


def make_client():
    return functions_framework.create_app("auth", AUTH_SOURCE).test_client()


def register(client, email: str | None = None, password: str = PASSWORD, name: str | None = "Test User"):
    email = email or unique_email()
    response = client.post("/auth/register", json={"email": email, "password": password, "name": name})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def error_code(response) -> str:
    return response.get_json()["error"]["code"]
