"""HTTP errors: one exception per status, turned into JSON in one place.

Every error body is ``{"error": {"code": "snake_case", "message": "...", "details": {...}}}``.
Raise one of these anywhere under a unit's handler; ``shared.http`` renders it.
"""
from __future__ import annotations

from typing import Any


class HTTPError(Exception):
    status = 500
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


class BadRequest(HTTPError):
    status, code = 400, "bad_request"


class Unauthorized(HTTPError):
    status, code = 401, "unauthorized"

    def __init__(self, message: str = "Authentication required.", details=None, *, code=None, headers=None):
        super().__init__(message, details, code=code,
                         headers={"WWW-Authenticate": 'Bearer realm="tokenwise"', **(headers or {})})


class Forbidden(HTTPError):
    status, code = 403, "forbidden"


class NotFound(HTTPError):
    status, code = 404, "not_found"


class MethodNotAllowed(HTTPError):
    status, code = 405, "method_not_allowed"


class Conflict(HTTPError):
    status, code = 409, "conflict"


class PayloadTooLarge(HTTPError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(HTTPError):
    status, code = 415, "unsupported_media_type"


class ValidationFailed(HTTPError):
    """422 with ``details.fields``: ``{field_name: reason}``."""
    status, code = 422, "validation_failed"

    def __init__(self, fields: dict[str, str], message: str = "The request has invalid fields."):
        super().__init__(message, {"fields": fields})


class TooManyRequests(HTTPError):
    status, code = 429, "too_many_requests"

    def __init__(self, message: str, retry_after_s: int, details=None, *, code=None):
        super().__init__(message, {"retry_after_s": retry_after_s, **(details or {})}, code=code,
                         headers={"Retry-After": str(retry_after_s)})


class ServiceUnavailable(HTTPError):
    status, code = 503, "service_unavailable"
