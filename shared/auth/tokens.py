"""JWT access and refresh tokens (PyJWT, HS256 only).

Every token carries ``sub, iat, nbf, exp, jti, iss, aud, typ`` and ``sid`` (the
login session); access tokens also carry ``email``. Decoding pins the algorithm,
requires every claim (PyJWT skips ``exp`` when it is absent unless told to
require it), checks issuer, audience and type, and allows a small leeway.
Each failure is a ``TokenError`` with a snake_case ``code``.

Options: ``ACCESS_TOKEN_TTL_S`` (900), ``REFRESH_TOKEN_TTL_S`` (2,592,000).
"""
from __future__ import annotations

import binascii
import re
import uuid
from datetime import UTC, datetime, timedelta

import jwt
from jwt.algorithms import HMACAlgorithm
from jwt.exceptions import DecodeError
from jwt.utils import base64url_decode, base64url_encode

from shared import config
from shared.auth.secret import jwt_secret

ALGORITHM = "HS256"
ISSUER = "tokenwise"
AUDIENCE = "tokenwise-api"
LEEWAY_S = 10
ACCESS, REFRESH = "access", "refresh"
REQUIRED = ["sub", "iat", "nbf", "exp", "jti", "iss", "aud", "typ", "sid"]


class _HS256(HMACAlgorithm):
    """HS256 that vets a key once per key value instead of once per token.

    PyJWT's ``prepare_key`` refuses keys that look asymmetric (PEM, SSH, DER, JWK JSON)
    and costs more than the signature check itself (tens of microseconds under load).
    Its verdict depends on the key bytes alone, so the last key and its result are kept;
    a different key (a rotated ``JWT_SECRET``) is vetted afresh. Signatures and claims
    are still checked on every token.
    """

    def __init__(self) -> None:
        super().__init__(HMACAlgorithm.SHA256)
        self._vetted: tuple[object, bytes] | None = None

    def prepare_key(self, key: str | bytes) -> bytes:
        vetted = self._vetted
        if vetted is not None and type(vetted[0]) is type(key) and vetted[0] == key:
            return vetted[1]
        prepared = super().prepare_key(key)
        self._vetted = (key, prepared)  # one tuple swap: a concurrent reader sees old or new, never half
        return prepared


_SEGMENT = re.compile(rb"([A-Za-z0-9_-]*)(={0,2})")


class _Signer(jwt.PyJWS):
    """PyJWS whose check of a base64url segment is one regex match, not a generator step per byte.

    PyJWT 2.15 walks every byte of every segment through a Python generator to refuse
    junk outside the base64url alphabet, which was half the cost of a decode. The rules
    are PyJWT's own: at most two ``=`` of padding, and only on a segment of whole quartets;
    no length of 1 mod 4; nothing outside the alphabet; and the bytes must re-encode to the
    segment (no stray bits). A test holds it to PyJWT's verdicts.
    """

    @staticmethod
    def _decode_base64url_segment(segment: bytes, name: str) -> bytes:
        match = _SEGMENT.fullmatch(segment)
        if match is None or (match[2] and len(segment) % 4) or len(match[1]) % 4 == 1:
            raise DecodeError(f"Invalid {name} padding")
        stripped = match[1]
        try:
            decoded = base64url_decode(stripped)
        except (TypeError, binascii.Error) as err:
            raise DecodeError(f"Invalid {name} padding") from err
        if base64url_encode(decoded) != stripped:
            raise DecodeError(f"Invalid {name} padding")
        return decoded


def _codec() -> jwt.PyJWT:
    codec = jwt.PyJWT(options={"require": REQUIRED})  # merged once here, not on every decode
    signer = _Signer(algorithms=[])  # knows no algorithm but ours
    signer.register_algorithm(ALGORITHM, _HS256())
    codec._jws = signer  # where PyJWT 2.x (pinned) keeps its signature layer; a test checks it is used
    return codec


_CODEC = _codec()


class TokenError(Exception):
    """Why a token was refused; ``code`` is what the API answers."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def access_ttl_s() -> int:
    return config.env_int("ACCESS_TOKEN_TTL_S", 900)


def refresh_ttl_s() -> int:
    return config.env_int("REFRESH_TOKEN_TTL_S", 30 * 24 * 3600)


def _encode(claims: dict, ttl_s: int, now: datetime | None) -> tuple[str, datetime]:
    now = now or datetime.now(UTC)
    expires = now + timedelta(seconds=ttl_s)
    payload = {**claims, "iat": now, "nbf": now, "exp": expires, "iss": ISSUER, "aud": AUDIENCE}
    return _CODEC.encode(payload, jwt_secret(), algorithm=ALGORITHM), expires


def issue_access_token(user_id: str, email: str, session_id: str,
                       now: datetime | None = None) -> tuple[str, datetime]:
    claims = {"sub": user_id, "email": email, "sid": session_id, "typ": ACCESS, "jti": uuid.uuid4().hex}
    return _encode(claims, access_ttl_s(), now)


def issue_refresh_token(user_id: str, session_id: str, jti: str,
                        now: datetime | None = None) -> tuple[str, datetime]:
    claims = {"sub": user_id, "sid": session_id, "typ": REFRESH, "jti": jti}
    return _encode(claims, refresh_ttl_s(), now)


_ERRORS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "token_expired"),
    (jwt.ImmatureSignatureError, "token_not_yet_valid"),
    (jwt.InvalidAudienceError, "invalid_audience"),
    (jwt.InvalidIssuerError, "invalid_issuer"),
    (jwt.MissingRequiredClaimError, "missing_claim"),
    (jwt.InvalidSignatureError, "invalid_signature"),
    (jwt.InvalidAlgorithmError, "invalid_algorithm"),
    (jwt.DecodeError, "malformed_token"),
    (jwt.InvalidTokenError, "invalid_token"),
]


def decode_token(token: str, expected_type: str = ACCESS) -> dict:
    """The verified claims, or ``TokenError``. ``Misconfigured`` propagates (no key, no verdict)."""
    if not token or not isinstance(token, str):
        raise TokenError("missing_token", "No token was given.")
    if not token.isascii():  # a JWT is base64url and dots; this also keeps unencodable text out of PyJWT
        raise TokenError("malformed_token", "The token is not a JWT.")
    # The codec requires every claim of REQUIRED. The allow-list alone refuses "none", RS256 and
    # HS512 headers (InvalidAlgorithmError) before any key is used; parsing the header first would double the cost.
    try:
        claims = _CODEC.decode(token, jwt_secret(), algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                               leeway=LEEWAY_S)
    except jwt.InvalidTokenError as exc:
        code = next(code for kind, code in _ERRORS if isinstance(exc, kind))
        raise TokenError(code, str(exc)) from None
    if claims.get("typ") != expected_type:
        raise TokenError("wrong_token_type", f"A {expected_type} token is required.")
    if expected_type == ACCESS and not claims.get("email"):
        raise TokenError("missing_claim", 'Token is missing the "email" claim')
    # Ids go into SQL as strings: a signed token with a number or a list there is refused
    # here rather than failing as a type error inside the database.
    for name in ("sub", "sid", "jti", *(("email",) if expected_type == ACCESS else ())):
        if not isinstance(claims.get(name), str) or not claims[name]:
            raise TokenError("invalid_claim", f'The "{name}" claim must be a non-empty string.')
    return claims
