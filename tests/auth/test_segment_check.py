"""The unit's base64url segment check gives PyJWT's own verdict on every input, only faster."""
from __future__ import annotations

import random

import jwt
import pytest
from jwt.exceptions import DecodeError

from shared.auth import tokens
from tests.support.forged_tokens import claims, forge

ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
JUNK = b"=+/.! \n\x00\xff"


def _verdict(check, segment: bytes):
    try:
        return ("ok", check(segment, "payload"))
    except DecodeError as exc:
        return ("refused", str(exc))


def _segments() -> list[bytes]:
    rng = random.Random(20261129)
    cases = [b"", b"=", b"==", b"===", b"a", b"a=", b"ab", b"ab==", b"ab=", b"abc=", b"abcd", b"abcd====",
             b"ab=c", b"!!!!", b"ab\ncd", b"QQ", b"QR", b"QR==", b"QUJD", b"QUJDRA", b"QUJDRA==", b"QUJDRA="]
    for _ in range(4000):
        body = bytes(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 14)))
        if rng.random() < 0.3:
            spot = rng.randrange(0, len(body) + 1)
            body = body[:spot] + bytes([rng.choice(JUNK)]) + body[spot:]
        cases.append(body + b"=" * rng.choice((0, 0, 1, 2, 3)))
    return cases


def test_every_segment_gets_pyjwts_verdict():
    mine = tokens._CODEC._jws._decode_base64url_segment
    assert type(tokens._CODEC._jws) is tokens._Signer, "decoding must go through the unit's signer"
    disagreements = [(segment, _verdict(jwt.PyJWS._decode_base64url_segment, segment), _verdict(mine, segment))
                     for segment in _segments()
                     if _verdict(jwt.PyJWS._decode_base64url_segment, segment) != _verdict(mine, segment)]
    assert disagreements == []


def _flip_first_signature_character(token: str) -> str:
    head, _dot, signature = token.rpartition(".")
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


def test_padding_on_a_whole_quartet_is_accepted_as_pyjwt_does():
    token = forge(claims())
    assert tokens.decode_token(token + "=")["sub"] == tokens.decode_token(token)["sub"]


@pytest.mark.parametrize("spoil, code", [
    (lambda token: token.replace(".", "!.", 1), "malformed_token"),
    (lambda token: token + "==", "malformed_token"),  # 43 base64url characters take one "=" at most
    (lambda token: _flip_first_signature_character(token), "invalid_signature"),
])
def test_spoiled_segments_are_refused_with_the_usual_codes(spoil, code):
    with pytest.raises(tokens.TokenError) as caught:
        tokens.decode_token(spoil(forge(claims())))
    assert caught.value.code == code
