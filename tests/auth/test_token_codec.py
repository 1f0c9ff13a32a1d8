"""The token codec and the lazily loaded auth names, built afresh rather than taken from import time.

``tokens._CODEC`` and ``shared.auth``'s names are made once per process; these tests make them
again so that what they are made of is checked, not only that the ready-made ones work.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import jwt
import pytest

import shared.auth
from shared.auth import request, secret, tokens
from tests.support.forged_tokens import claims, forge
from tests.support.identity import TEST_SECRET


def test_a_fresh_codec_requires_every_claim_and_knows_only_hs256():
    codec = tokens._codec()
    assert codec.options["require"] == ["sub", "iat", "nbf", "exp", "jti", "iss", "aud", "typ", "sid"]
    assert type(codec._jws) is tokens._Signer
    assert codec._jws.get_algorithms() == ["HS256"]
    assert type(codec._jws.get_algorithm_by_name("HS256")) is tokens._HS256
    kwargs = {"algorithms": ["HS256"], "audience": tokens.AUDIENCE, "issuer": tokens.ISSUER}
    assert codec.decode(forge(claims(sub="u-1")), TEST_SECRET.encode(), **kwargs)["sub"] == "u-1"
    with pytest.raises(jwt.MissingRequiredClaimError):
        codec.decode(forge(claims(sid=None)), TEST_SECRET.encode(), **kwargs)


def test_a_fresh_hs256_signs_with_sha256_and_has_vetted_nothing():
    algorithm = tokens._HS256()
    assert algorithm._vetted is None
    key = algorithm.prepare_key(TEST_SECRET.encode())
    assert algorithm.sign(b"header.payload", key) == hmac.new(key, b"header.payload", hashlib.sha256).digest()
    assert algorithm._vetted == (TEST_SECRET.encode(), key)


def test_a_token_error_carries_its_code_and_message():
    error = tokens.TokenError("token_expired", "Signature has expired")
    assert (error.code, error.message, str(error)) == ("token_expired", "Signature has expired",
                                                       "Signature has expired")


@pytest.mark.parametrize(("name", "home"), [("authenticate", request), ("Misconfigured", secret),
                                            ("decode_token", tokens), ("issue_refresh_token", tokens)])
def test_auth_names_load_from_their_module_and_stay(monkeypatch, name, home):
    monkeypatch.delitem(vars(shared.auth), name, raising=False)
    assert shared.auth.__getattr__(name) is getattr(home, name)
    assert vars(shared.auth)[name] is getattr(home, name)  # later lookups skip __getattr__


def test_an_unknown_auth_name_is_an_attribute_error():
    with pytest.raises(AttributeError) as raised:
        shared.auth.__getattr__("issue_token")
    assert str(raised.value) == "module 'shared.auth' has no attribute 'issue_token'"


def test_dir_lists_every_lazy_name():
    listed = shared.auth.__dir__()
    assert listed == sorted(listed)
    assert set(shared.auth.__all__) <= set(listed) and "import_module" in listed
    assert shared.auth.__all__ == sorted(shared.auth._HOMES)


def test_tokens_expire_after_their_default_lifetimes(monkeypatch):
    monkeypatch.delenv("ACCESS_TOKEN_TTL_S", raising=False)
    monkeypatch.delenv("REFRESH_TOKEN_TTL_S", raising=False)
    now = datetime.now(UTC).replace(microsecond=0)
    access, access_expires = tokens.issue_access_token("u-1", "a@example.com", "s-1", now=now)
    refresh, refresh_expires = tokens.issue_refresh_token("u-1", "s-1", "j-1", now=now)
    assert (access_expires, refresh_expires) == (now + timedelta(seconds=900), now + timedelta(days=30))
    claims_ = tokens.decode_token(access)
    assert (claims_["iat"], claims_["nbf"], claims_["exp"]) == (int(now.timestamp()),) * 2 + (
        int(now.timestamp()) + 900,)
    assert {k: claims_[k] for k in ("sub", "email", "sid", "typ", "iss", "aud")} == {
        "sub": "u-1", "email": "a@example.com", "sid": "s-1", "typ": "access", "iss": "tokenwise",
        "aud": "tokenwise-api"}
    assert len(claims_["jti"]) == 32
    refreshed = tokens.decode_token(refresh, tokens.REFRESH)
    assert (refreshed["jti"], refreshed["typ"], refreshed["exp"]) == ("j-1", "refresh",
                                                                      int(now.timestamp()) + 30 * 24 * 3600)
    assert "email" not in refreshed
