"""Contract cases of the auth unit: sign-up, login and lockout, refresh rotation, validate, me, logout."""
from __future__ import annotations

from tests.openapi.cases import case
from tests.support.contract_api import PASSWORD, Api
from tests.support.identity import unique_email

AUTH_MAX_BODY = 16 * 1024
# A JSON body each POST route accepts in shape, and one it refuses with 422 naming these fields.
JSON_ROUTES = {
    "/auth/register": ({"email": "ann@example.com", "password": PASSWORD},
                       {"email": "not an address", "password": "short"}, {"email", "password"}),
    "/auth/login": ({"email": "ann@example.com", "password": PASSWORD}, {"email": "ann@example.com"}, {"password"}),
    "/auth/refresh": ({"refresh_token": "x"}, {"refresh_token": 42}, {"refresh_token"}),
    "/auth/validate": ({"token": "x"}, {}, {"token"}),
}


def _register_body_errors(path: str, valid: dict, invalid: dict, fields: set[str]) -> None:
    """400, 413, 415 and 422 for one JSON route: what every client gets wrong sooner or later."""

    @case("post", path, 400)
    def truncated_json(api: Api):
        body = api.call("POST", path, 400, data=b'{"email": "ann@example.com", "pass',
                        headers={"Content-Type": "application/json"}).json()
        assert body["error"]["code"] == "invalid_json"

    @case("post", path, 413)
    def body_over_the_limit(api: Api):
        oversized = {**valid, "padding": "x" * (AUTH_MAX_BODY + 1)}
        body = api.call("POST", path, 413, json=oversized).json()
        assert body["error"]["code"] == "payload_too_large"
        assert body["error"]["details"] == {"max_bytes": AUTH_MAX_BODY}

    @case("post", path, 415)
    def form_encoded(api: Api):
        body = api.call("POST", path, 415, data={"email": "ann@example.com"}).json()
        assert body["error"]["code"] == "unsupported_media_type"

    @case("post", path, 422)
    def invalid_fields(api: Api):
        body = api.call("POST", path, 422, json=invalid).json()
        assert body["error"]["code"] == "validation_failed"
        assert set(body["error"]["details"]["fields"]) == fields


for _path, (_valid, _invalid, _fields) in JSON_ROUTES.items():
    _register_body_errors(_path, _valid, _invalid, _fields)


@case("post", "/auth/register", 201)
def sign_up(api: Api):
    email = unique_email("Signup").upper()  # stored lower-cased
    body = api.call("POST", "/auth/register", 201, json={"email": email, "password": PASSWORD, "name": " Ann "}).json()
    assert body["user"]["email"] == email.lower() and body["user"]["name"] == "Ann"
    assert body["token_type"] == "Bearer" and body["expires_in"] == 900


@case("post", "/auth/register", 201)
def sign_up_without_a_name(api: Api):
    body = api.call("POST", "/auth/register", 201, json={"email": unique_email(), "password": PASSWORD}).json()
    assert body["user"]["name"] is None


@case("post", "/auth/register", 409)
def email_already_taken(api: Api):
    account = api.register()
    body = api.call("POST", "/auth/register", 409, json={"email": account.email, "password": PASSWORD}).json()
    assert body["error"]["code"] == "email_taken"


@case("post", "/auth/register", 422)
def weak_password_names_the_policy(api: Api):
    body = api.call("POST", "/auth/register", 422, json={"email": unique_email(), "password": "password"}).json()
    assert set(body["error"]["details"]["fields"]) == {"password"}
    assert "password_policy" in body["error"]["details"]


@case("post", "/auth/register", 503)
def sign_up_with_the_database_down(api: Api):
    with api.database_down():
        body = api.call("POST", "/auth/register", 503, json={"email": unique_email(), "password": PASSWORD}).json()
    assert body["error"]["code"] == "database_unavailable"


@case("post", "/auth/login", 200)
def log_in(api: Api):
    account = api.register()
    body = api.call("POST", "/auth/login", 200, json={"email": account.email, "password": PASSWORD}).json()
    assert body["user"]["id"] == account.user_id and body["access_token"] != account.access_token


@case("post", "/auth/login", 401)
def wrong_password(api: Api):
    account = api.register()
    body = api.call("POST", "/auth/login", 401, json={"email": account.email, "password": "not-the-password"}).json()
    assert body["error"]["code"] == "invalid_credentials"


@case("post", "/auth/login", 429)
def locked_after_repeated_failures(api: Api):
    account = api.register()
    wrong = {"email": account.email, "password": "guess-number-x"}
    for _ in range(4):
        api.call("POST", "/auth/login", 401, json=wrong)
    locked = api.call("POST", "/auth/login", 429, json=wrong)
    assert locked.json()["error"]["code"] == "account_locked"
    assert locked.headers["Retry-After"] == str(locked.json()["error"]["details"]["retry_after_s"]) == "60"
    right = api.call("POST", "/auth/login", 429, json={"email": account.email, "password": PASSWORD})
    assert right.json()["error"]["code"] == "account_locked"


@case("post", "/auth/login", 503)
def log_in_with_the_database_down(api: Api):
    with api.database_down():
        body = api.call("POST", "/auth/login", 503, json={"email": unique_email(), "password": PASSWORD}).json()
    assert body["error"]["code"] == "database_unavailable"


@case("post", "/auth/refresh", 200)
def rotate_the_refresh_token(api: Api):
    account = api.register()
    body = api.call("POST", "/auth/refresh", 200, json={"refresh_token": account.refresh_token}).json()
    assert body["refresh_token"] != account.refresh_token and body["user"]["id"] == account.user_id


@case("post", "/auth/refresh", 401)
def reused_refresh_token_revokes_the_session(api: Api):
    account = api.register()
    fresh = api.call("POST", "/auth/refresh", 200, json={"refresh_token": account.refresh_token}).json()
    reused = api.call("POST", "/auth/refresh", 401, json={"refresh_token": account.refresh_token}).json()
    assert reused["error"]["code"] == "refresh_token_reused"
    revoked = api.call("POST", "/auth/refresh", 401, json={"refresh_token": fresh["refresh_token"]}).json()
    assert revoked["error"]["code"] == "session_revoked"


@case("post", "/auth/refresh", 401)
def access_token_is_not_a_refresh_token(api: Api):
    account = api.register()
    body = api.call("POST", "/auth/refresh", 401, json={"refresh_token": account.access_token}).json()
    assert body["error"]["code"] == "wrong_token_type"


@case("post", "/auth/refresh", 503)
def refresh_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("POST", "/auth/refresh", 503, json={"refresh_token": account.refresh_token}).json()
    assert body["error"]["code"] == "database_unavailable"


@case("post", "/auth/validate", 200)
def validate_a_good_token(api: Api):
    account = api.register()
    body = api.call("POST", "/auth/validate", 200, json={"token": account.access_token}).json()
    assert body["valid"] is True and body["user_id"] == account.user_id and body["email"] == account.email


@case("post", "/auth/validate", 200)
def validate_a_forged_token(api: Api):
    account = api.register()
    header, payload, _signature = account.access_token.split(".")
    body = api.call("POST", "/auth/validate", 200, json={"token": f"{header}.{payload}.AAAA"}).json()
    assert body == {"valid": False, "error": "invalid_signature"}


@case("post", "/auth/validate", 503)
def validate_without_a_signing_key(api: Api):
    account = api.register()
    with api.production_without_secret():
        body = api.call("POST", "/auth/validate", 503, json={"token": account.access_token}).json()
    assert body["error"]["code"] == "misconfigured"


@case("get", "/auth/me", 200)
def who_am_i(api: Api):
    account = api.register(name=None)
    body = api.call("GET", "/auth/me", 200, headers=account.bearer()).json()
    assert body["user"]["id"] == account.user_id and body["user"]["name"] is None


@case("get", "/auth/me", 401)
def me_without_a_token(api: Api):
    body = api.call("GET", "/auth/me", 401).json()
    assert body["error"]["code"] == "missing_token"


@case("get", "/auth/me", 401)
def me_after_logout(api: Api):
    account = api.register()
    api.call("POST", "/auth/logout", 204, headers=account.bearer())
    body = api.call("GET", "/auth/me", 401, headers=account.bearer()).json()
    assert body["error"]["code"] == "session_revoked"


@case("get", "/auth/me", 503)
def me_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("GET", "/auth/me", 503, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"


@case("post", "/auth/logout", 204)
def log_out(api: Api):
    account = api.register()
    api.call("POST", "/auth/logout", 204, headers=account.bearer())
    api.call("POST", "/auth/logout", 204, headers=account.bearer())  # already revoked: still done


@case("post", "/auth/logout", 401)
def log_out_with_a_malformed_token(api: Api):
    body = api.call("POST", "/auth/logout", 401, headers={"Authorization": "Bearer not-a-jwt"}).json()
    assert body["error"]["code"] == "malformed_token"


@case("post", "/auth/logout", 503)
def log_out_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("POST", "/auth/logout", 503, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"
