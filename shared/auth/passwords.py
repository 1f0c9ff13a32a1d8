"""Password hashing with Argon2id (argon2-cffi) and the password policy.

Options (environment variables, read when a hash is made or checked):

- ``ARGON2_TIME_COST`` (2), ``ARGON2_MEMORY_KIB`` (19456), ``ARGON2_PARALLELISM`` (1):
  OWASP's Argon2id baseline. The memory cost is per concurrent hash, so keep
  ``memory x concurrency`` well under the unit's memory (8 x 19 MiB on a 512 MiB
  instance). Hashes made with other parameters still verify and are upgraded on
  the next successful login (``needs_rehash``).

Policy (``password_problem``): 10 to 128 characters, at least 5 different
characters, not containing the email address or its local part, not a well-known
password.
"""
from __future__ import annotations

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from shared import config

MIN_LENGTH = 10
MAX_LENGTH = 128
MIN_DISTINCT = 5

# A short deny-list of the passwords that head every breach corpus and would pass the
# length and variety rules; a full breach check would need a network call or a large file.
COMMON_PASSWORDS = frozenset({
    "1234567890", "0123456789", "1234567890a", "qwertyuiop", "qwertyuiop1", "1q2w3e4r5t",
    "1qaz2wsx3edc", "password12", "password123", "password1234", "passw0rd123", "iloveyou12",
    "letmein123", "welcome123", "admin12345", "abcdefghij", "abcdef1234", "qwerty1234",
    "qwerty12345", "football123", "baseball123", "monkey12345", "dragon12345", "sunshine12",
    "princess12", "trustno1234", "starwars123", "changeme123", "superman123", "zaq12wsxcde",
})

POLICY = {
    "min_length": MIN_LENGTH,
    "max_length": MAX_LENGTH,
    "min_distinct_characters": MIN_DISTINCT,
    "rules": [
        f"between {MIN_LENGTH} and {MAX_LENGTH} characters",
        f"at least {MIN_DISTINCT} different characters",
        "must not contain your email address or the part before the @ (when 4+ characters)",
        "not a well-known password",
    ],
}

_hashers: dict[tuple[int, int, int], PasswordHasher] = {}
_dummy_hash: str | None = None


def _parameters() -> tuple[int, int, int]:
    return (max(1, config.env_int("ARGON2_TIME_COST", 2)),
            max(8, config.env_int("ARGON2_MEMORY_KIB", 19456)),
            max(1, config.env_int("ARGON2_PARALLELISM", 1)))


def _hasher() -> PasswordHasher:
    params = _parameters()
    hasher = _hashers.get(params)
    if hasher is None:
        time_cost, memory_kib, parallelism = params
        # A duplicate built by a concurrent first call is harmless: both are identical.
        hasher = _hashers.setdefault(params, PasswordHasher(time_cost=time_cost, memory_cost=memory_kib,
                                                            parallelism=parallelism))
    return hasher


def _bytes(password: str) -> bytes:
    # JSON can carry lone surrogates ("\ud800"), which plain UTF-8 refuses to encode.
    return password.encode("utf-8", "surrogatepass")


def hash_password(password: str) -> str:
    return _hasher().hash(_bytes(password))


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; a corrupt stored hash counts as a mismatch."""
    try:
        return _hasher().verify(password_hash, _bytes(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


def burn_verify(password: str) -> None:
    """Spend the same work as a real check, for an unknown email, so timing does not tell it apart."""
    global _dummy_hash
    dummy = _dummy_hash
    if dummy is None or needs_rehash(dummy):
        # Outside any lock: hashing is slow, and a second dummy made concurrently costs nothing.
        dummy = _dummy_hash = _hasher().hash(secrets.token_urlsafe(24))
    verify_password(dummy, password)


def is_text(value: str) -> bool:
    """False for strings with lone surrogates, which no database or UTF-8 encoder accepts."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def password_problem(password: str, email: str = "") -> str | None:
    """Why ``password`` breaks the policy, or None when it is acceptable."""
    if not is_text(password):
        return "must be valid Unicode text"
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if len(set(password)) < MIN_DISTINCT:
        return f"must contain at least {MIN_DISTINCT} different characters"
    lowered = password.strip().lower()
    local_part = email.split("@", 1)[0]
    if email and (email in lowered or (len(local_part) >= 4 and local_part in lowered)):
        return "must not contain your email address"
    if lowered in COMMON_PASSWORDS:
        return "is a well-known password"
    return None
