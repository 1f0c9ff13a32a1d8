"""Failures: one exception per kind of refusal, each with a stable code.

Domain code (agents, usage, auth, the database layer) raises these and knows nothing of HTTP;
the HTTP edge gives each kind its status in one table (``shared.http.STATUS``) and renders the
body ``{"error": {"code": "snake_case", "message": "...", "details": {...}}}``. The chat's socket
sends the same code and message in an ``error`` frame or an ``agent_error`` event.
"""
from __future__ import annotations

from typing import Any


class Failure(Exception):
    code = "internal_error"

    def __init__(self, message: str, details: dict[str, Any] | None = None, *,
                 code: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class BadRequest(Failure):
    code = "bad_request"


class Unauthorized(Failure):
    code = "unauthorized"

    def __init__(self, message: str = "Authentication required.", details=None, *, code=None, headers=None):
        super().__init__(message, details, code=code,
                         headers={"WWW-Authenticate": 'Bearer realm="tokenwise"', **(headers or {})})


class Forbidden(Failure):
    code = "forbidden"


class NotFound(Failure):
    code = "not_found"


class MethodNotAllowed(Failure):
    """Names the methods the path takes, in ``details.allowed`` and in the ``Allow`` header HTTP requires."""
    code = "method_not_allowed"

    def __init__(self, message: str, allowed: list[str]):
        super().__init__(message, {"allowed": sorted(allowed)}, headers={"Allow": ", ".join(sorted(allowed))})


class Conflict(Failure):
    code = "conflict"


class PayloadTooLarge(Failure):
    code = "payload_too_large"


class UnsupportedMediaType(Failure):
    code = "unsupported_media_type"


class Unprocessable(Failure):
    """Well-formed, but not something that can be done as asked."""
    code = "unprocessable"


class ValidationFailed(Unprocessable):
    """With ``details.fields``: ``{field_name: reason}``."""
    code = "validation_failed"

    def __init__(self, fields: dict[str, str], message: str = "The request has invalid fields."):
        super().__init__(message, {"fields": fields})


class TooManyRequests(Failure):
    code = "too_many_requests"

    def __init__(self, message: str, retry_after_s: int, details=None, *, code=None):
        super().__init__(message, {"retry_after_s": retry_after_s, **(details or {})}, code=code,
                         headers={"Retry-After": str(retry_after_s)})


class ServiceUnavailable(Failure):
    code = "service_unavailable"
