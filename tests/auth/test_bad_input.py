"""Bad requests get the right 4xx with a JSON error body, never a 500."""
from __future__ import annotations

import pytest

from shared.auth.passwords import POLICY
from tests.support.auth_client import PASSWORD, error_code
from tests.support.identity import unique_email

POST_ROUTES = ["/auth/register", "/auth/login", "/auth/refresh", "/auth/validate"]


@pytest.mark.parametrize("path", POST_ROUTES)
def test_malformed_json_is_400(sqlite_client, path):
    response = sqlite_client.post(path, data=b'{"email": ', content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"


@pytest.mark.parametrize("path", POST_ROUTES)
def test_json_that_is_not_an_object_is_400(sqlite_client, path):
    response = sqlite_client.post(path, data=b'["a", "b"]', content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"


@pytest.mark.parametrize("path", POST_ROUTES)
def test_wrong_content_type_is_415(sqlite_client, path):
    response = sqlite_client.post(path, data="email=a@b.co", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_code(response) == "unsupported_media_type"


@pytest.mark.parametrize("path", POST_ROUTES)
def test_body_over_the_limit_is_413(sqlite_client, path):
    response = sqlite_client.post(path, json={"email": "x" * 20_000})
    assert response.status_code == 413
    assert response.get_json()["error"] == {"code": "payload_too_large", "message": "The request body is too large.",
                                            "details": {"max_bytes": 16384}}


def test_body_limit_is_configurable(sqlite_client, monkeypatch):
    monkeypatch.setenv("AUTH_MAX_BODY_BYTES", "64")
    response = sqlite_client.post("/auth/login", json={"email": unique_email(), "password": "p" * 60})
    assert response.status_code == 413
    assert response.get_json()["error"]["details"] == {"max_bytes": 64}


@pytest.mark.parametrize("path, body, fields", [
    ("/auth/register", {}, {"email": "is required", "password": "is required"}),
    ("/auth/register", {"email": 5, "password": ["x"], "name": 7},
     {"email": "must be a string", "password": "must be a string", "name": "must be a string"}),
    ("/auth/login", {"email": "a@example.com"}, {"password": "is required"}),
    ("/auth/login", {"password": PASSWORD}, {"email": "is required"}),
    ("/auth/login", {"email": None, "password": 12}, {"email": "is required", "password": "must be a string"}),
    ("/auth/refresh", {}, {"refresh_token": "is required"}),
    ("/auth/refresh", {"refresh_token": 42}, {"refresh_token": "must be a string"}),
    ("/auth/validate", {}, {"token": "is required"}),
    ("/auth/validate", {"token": {"a": 1}}, {"token": "must be a string"}),
])
def test_missing_or_mistyped_fields_are_422(sqlite_client, path, body, fields):
    response = sqlite_client.post(path, json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["details"]["fields"] == fields


@pytest.mark.parametrize("email", [
    "plainaddress", "@example.com", "ann@", "ann@example", "ann@@example.com", "ann example@example.com",
    "ann@exa mple.com", "ann@-example.com", "ann..b@example.com", ".ann@example.com", "ann@example.c0m",
    "a" * 65 + "@example.com", "ann@" + "a" * 320 + ".com", "",
])
def test_bad_emails_are_422(sqlite_client, email):
    response = sqlite_client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert list(fields) == ["email"]
    expected = {"": "is required"}.get(email, "must be at most 320 characters" if len(email) > 320
                                       else "is not a valid email address")
    assert fields["email"] == expected


@pytest.mark.parametrize("password, reason", [
    ("short-1A", "must be at least 10 characters"),
    ("x" * 129, "must be at most 128 characters"),
    ("aaaabbbbaaaabbbb", "must contain at least 5 different characters"),
    ("password123", "is a well-known password"),
    ("QWERTYUIOP1", "is a well-known password"),
    ("my-name-is-jonathan!", "must not contain your email address"),
])
def test_weak_passwords_are_422_with_the_policy(sqlite_client, password, reason):
    response = sqlite_client.post("/auth/register", json={"email": "jonathan@example.com", "password": password})
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details["fields"] == {"password": reason}
    assert details["password_policy"] == POLICY
    assert details["password_policy"]["min_length"] == 10


def test_every_field_problem_is_reported_at_once(sqlite_client):
    response = sqlite_client.post("/auth/register", json={"email": "nope", "password": "short", "name": "n" * 201})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]["fields"] == {
        "email": "is not a valid email address", "password": "must be at least 10 characters",
        "name": "must be at most 200 characters"}


def test_unknown_route_and_wrong_method(sqlite_client):
    missing = sqlite_client.get("/auth/nothing-here")
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"
    wrong = sqlite_client.get("/auth/login")
    assert wrong.status_code == 405
    assert wrong.get_json()["error"]["details"] == {"allowed": ["POST"]}
    assert wrong.headers["Allow"] == "POST"
    me = sqlite_client.post("/auth/me", json={})
    assert (me.status_code, me.headers["Allow"]) == (405, "GET, HEAD")


def test_an_integer_past_pythons_conversion_limit_is_invalid_json_not_500(sqlite_client):
    body = '{"email": "a@example.com", "password": ' + "9" * 5000 + "}"
    response = sqlite_client.post("/auth/login", data=body, content_type="application/json")
    assert (response.status_code, error_code(response)) == (400, "invalid_json")


@pytest.mark.parametrize("path", POST_ROUTES)
def test_deeply_nested_json_is_400(sqlite_client, path):
    response = sqlite_client.post(path, data=b"[" * 5000, content_type="application/json")
    assert response.status_code == 400
    assert error_code(response) == "invalid_json"


def _raw(client, path, text: str):
    """Send JSON text as is: lone surrogates such as \\ud800 are legal JSON escapes."""
    return client.post(path, data=text.encode(), content_type="application/json")


def test_lone_surrogates_are_refused_cleanly(client):
    surrogate = "\\ud800"
    email = unique_email("sur")
    signup = _raw(client, "/auth/register",
                  f'{{"email": "{email}", "password": "ab{surrogate}cdefghijkl", "name": "N{surrogate}"}}')
    assert signup.status_code == 422
    assert signup.get_json()["error"]["details"]["fields"] == {
        "password": "must be valid Unicode text", "name": "must be valid Unicode text"}
    bad_email = _raw(client, "/auth/register", f'{{"email": "a{surrogate}@example.com", "password": "{PASSWORD}"}}')
    assert bad_email.get_json()["error"]["details"]["fields"] == {"email": "is not a valid email address"}

    assert client.post("/auth/register", json={"email": email, "password": PASSWORD}).status_code == 201
    for who in (email, unique_email("ghost")):
        login = _raw(client, "/auth/login", f'{{"email": "{who}", "password": "x{surrogate}yz"}}')
        assert login.status_code == 401
        assert error_code(login) == "invalid_credentials"
    validate = _raw(client, "/auth/validate", f'{{"token": "a.b{surrogate}.c"}}')
    assert validate.get_json() == {"valid": False, "error": "malformed_token"}
    refresh = _raw(client, "/auth/refresh", f'{{"refresh_token": "a.b{surrogate}.c"}}')
    assert refresh.status_code == 401
    assert error_code(refresh) == "malformed_token"
