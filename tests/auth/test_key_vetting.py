"""The signing key is vetted once per key value; signatures, claims and key rotation still hold per token."""
from __future__ import annotations

import pytest
from jwt.exceptions import InvalidKeyError

from shared.auth import tokens
from tests.support.forged_tokens import claims, forge
from tests.support.identity import TEST_SECRET

ROTATED = b"a-rotated-secret-that-is-long-enough-for-hs256"


@pytest.fixture
def counted(monkeypatch):
    """Counts the full key checks PyJWT runs through the unit's own HS256."""
    algorithm = tokens._CODEC._jws.get_algorithm_by_name(tokens.ALGORITHM)
    assert isinstance(algorithm, tokens._HS256), "decoding must go through the unit's HS256"
    calls = []
    full_check = tokens.HMACAlgorithm.prepare_key
    def check(self, key):
        if self is algorithm:  # tokens forged by the tests go through PyJWT's own HS256
            calls.append(key)
        return full_check(self, key)

    monkeypatch.setattr(tokens.HMACAlgorithm, "prepare_key", check)
    monkeypatch.setattr(algorithm, "_vetted", None)
    return calls


def test_one_key_is_vetted_once(counted, monkeypatch):
    monkeypatch.setenv("JWT_SECRET", TEST_SECRET)
    token = forge(claims())
    for _ in range(3):
        assert tokens.decode_token(token)["sub"]
    assert counted == [TEST_SECRET.encode()]


def test_a_rotated_key_is_vetted_and_used(counted, monkeypatch):
    monkeypatch.setenv("JWT_SECRET", TEST_SECRET)
    old = forge(claims())
    tokens.decode_token(old)
    monkeypatch.setenv("JWT_SECRET", ROTATED.decode())
    with pytest.raises(tokens.TokenError) as refused:
        tokens.decode_token(old)
    assert refused.value.code == "invalid_signature"
    assert tokens.decode_token(forge(claims(), key=ROTATED))["sub"]
    assert counted == [TEST_SECRET.encode(), ROTATED]


def test_an_asymmetric_looking_key_is_still_refused(counted):
    algorithm = tokens._CODEC._jws.get_algorithm_by_name(tokens.ALGORITHM)
    pem = b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"
    for _ in range(2):  # a refusal is not remembered as a verdict
        with pytest.raises(InvalidKeyError):
            algorithm.prepare_key(pem)
    assert counted == [pem, pem]
