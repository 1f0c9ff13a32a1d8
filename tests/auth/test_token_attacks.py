"""Every forged, stale or malformed token is exactly 401 with its code on /auth/me, and valid: false on validate."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth.tokens import REQUIRED
from tests.support.auth_client import bearer, error_code, register
from tests.support.forged_tokens import claims, forge, unsigned

NOW = datetime.now(UTC)
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
WRONG_KEY = b"another-secret-that-is-long-enough-for-hs256!!"


def _bad_tokens() -> list[tuple[str, str, str]]:
    """(case, token, expected code) for every token kind an attacker or a stale client may send."""
    cases = [
        ("expired", forge(claims(iat=NOW - timedelta(hours=2), nbf=NOW - timedelta(hours=2),
                                 exp=NOW - timedelta(minutes=5))), "token_expired"),
        ("not yet valid", forge(claims(nbf=NOW + timedelta(minutes=5))), "token_not_yet_valid"),
        ("issued in the future", forge(claims(iat=NOW + timedelta(minutes=5), nbf=NOW + timedelta(minutes=5))),
         "token_not_yet_valid"),
        ("bad signature", forge(claims(), key=WRONG_KEY), "invalid_signature"),
        ("tampered payload", _tampered(), "invalid_signature"),
        ("alg none", unsigned(claims()), "invalid_algorithm"),
        ("alg none, signature kept", unsigned(claims()) + forge().rsplit(".", 1)[1], "invalid_algorithm"),
        ("RS256 with a real RSA key", forge(claims(), key=RSA_KEY, algorithm="RS256"), "invalid_algorithm"),
        ("HS512 with the right secret", forge(claims(), algorithm="HS512"), "invalid_algorithm"),
        ("HS384 with the right secret", forge(claims(), algorithm="HS384"), "invalid_algorithm"),
        ("wrong audience", forge(claims(aud="someone-else")), "invalid_audience"),
        ("wrong issuer", forge(claims(iss="evil-issuer")), "invalid_issuer"),
        ("refresh token as access token", forge(claims(typ="refresh")), "wrong_token_type"),
        ("unknown token type", forge(claims(typ="admin")), "wrong_token_type"),
        ("session id not a string", forge(claims(sid=12345)), "invalid_claim"),
        ("empty email", forge(claims(email="")), "missing_claim"),
        ("garbage", "this-is-not-a-token", "malformed_token"),
        ("three dots of garbage", "abc.def.ghi", "malformed_token"),
        ("header not an object", "WzFd.e30.", "malformed_token"),
        ("non-ascii garbage", "ünïcödé.tökén.∑", "malformed_token"),
    ]
    cases += [(f"missing {name}", forge(claims(**{name: None})), "missing_claim")
              for name in [*REQUIRED, "email"]]
    return cases


def _tampered() -> str:
    header, payload, signature = forge(claims()).split(".")
    other = forge(claims(sub="someone-else")).split(".")[1]
    return ".".join([header, other, signature])


BAD_TOKENS = _bad_tokens()


@pytest.mark.parametrize("case, token, code", BAD_TOKENS, ids=[case for case, _, _ in BAD_TOKENS])
def test_me_refuses_bad_tokens(sqlite_client, case, token, code):
    response = sqlite_client.get("/auth/me", headers=bearer(token))
    assert response.status_code == 401, response.get_json()
    assert error_code(response) == code
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tokenwise"'


@pytest.mark.parametrize("case, token, code", BAD_TOKENS, ids=[case for case, _, _ in BAD_TOKENS])
def test_validate_answers_each_bad_token(sqlite_client, case, token, code):
    response = sqlite_client.post("/auth/validate", json={"token": token})
    assert response.status_code == 200
    assert response.get_json() == {"valid": False, "error": code}


@pytest.mark.parametrize("headers, case", [
    ({}, "no header"),
    ({"Authorization": ""}, "empty header"),
    ({"Authorization": "Bearer "}, "Bearer with nothing"),
    ({"Authorization": "Bearer    "}, "Bearer with spaces"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "another scheme"),
    ({"Authorization": "Token abc"}, "unknown scheme"),
])
@pytest.mark.parametrize("method, path", [("GET", "/auth/me"), ("POST", "/auth/logout")])
def test_missing_bearer_token_is_401(sqlite_client, headers, case, method, path):
    response = sqlite_client.open(path, method=method, headers=headers)
    assert response.status_code == 401
    assert error_code(response) == "missing_token"


def test_validate_empty_token_is_not_valid(sqlite_client):
    assert sqlite_client.post("/auth/validate", json={"token": ""}).get_json() == {
        "valid": False, "error": "missing_token"}


def test_a_real_refresh_token_is_not_an_access_token(sqlite_client):
    pair = register(sqlite_client)
    me = sqlite_client.get("/auth/me", headers=bearer(pair["refresh_token"]))
    assert me.status_code == 401
    assert error_code(me) == "wrong_token_type"
    assert sqlite_client.post("/auth/validate", json={"token": pair["refresh_token"]}).get_json() == {
        "valid": False, "error": "wrong_token_type"}
    logout = sqlite_client.post("/auth/logout", headers=bearer(pair["refresh_token"]))
    assert logout.status_code == 401
    assert error_code(logout) == "wrong_token_type"


def test_an_access_token_is_not_a_refresh_token(sqlite_client):
    pair = register(sqlite_client)
    response = sqlite_client.post("/auth/refresh", json={"refresh_token": pair["access_token"]})
    assert response.status_code == 401
    assert error_code(response) == "wrong_token_type"


@pytest.mark.parametrize("case, token, code", [
    ("bad signature", forge(claims(typ="refresh"), key=WRONG_KEY), "invalid_signature"),
    ("alg none", unsigned(claims(typ="refresh")), "invalid_algorithm"),
    ("expired", forge(claims(typ="refresh", iat=NOW - timedelta(days=40), nbf=NOW - timedelta(days=40),
                             exp=NOW - timedelta(days=1))), "token_expired"),
    ("garbage", "garbage", "malformed_token"),
    ("unknown session", forge(claims(typ="refresh")), "session_not_found"),
])
def test_refresh_refuses_bad_tokens(sqlite_client, case, token, code):
    response = sqlite_client.post("/auth/refresh", json={"refresh_token": token})
    assert response.status_code == 401
    assert error_code(response) == code


def test_a_forged_token_for_a_real_user_without_a_session_is_refused(sqlite_client):
    """Signed with the right key but naming a session that does not exist: /me checks the session."""
    user = register(sqlite_client)["user"]
    token = forge(claims(sub=user["id"], email=user["email"]))
    response = sqlite_client.get("/auth/me", headers=bearer(token))
    assert response.status_code == 401
    assert error_code(response) == "session_revoked"
