"""Tokens and request authentication shared by every unit (no network hop to the auth function).

``authenticate(request)`` is the one call a unit makes to learn who is asking.
"""
from shared.auth.request import Principal, authenticate, bearer_token
from shared.auth.secret import Misconfigured, jwt_secret, secret_check
from shared.auth.tokens import TokenError, decode_token, issue_access_token, issue_refresh_token

__all__ = [
    "Misconfigured", "Principal", "TokenError", "authenticate", "bearer_token", "decode_token",
    "issue_access_token", "issue_refresh_token", "jwt_secret", "secret_check",
]
