"""Tokens and request authentication shared by every unit (no network hop to the auth function).

``authenticate(request)`` is the one call a unit makes to learn who is asking.
Names load on first use (PEP 562): a unit's health route needs only the signing
key check, and must not pay for PyJWT and ``cryptography`` (~30 ms) on a cold start.
"""
from importlib import import_module

_HOMES = {
    "Principal": "request", "authenticate": "request", "bearer_token": "request",
    "Misconfigured": "secret", "jwt_secret": "secret", "secret_check": "secret",
    "TokenError": "tokens", "decode_token": "tokens", "issue_access_token": "tokens",
    "issue_refresh_token": "tokens",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'shared.auth' has no attribute {name!r}")
    value = getattr(import_module(f"shared.auth.{_HOMES[name]}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOMES))
