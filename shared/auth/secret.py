"""The HS256 signing key: from ``JWT_SECRET``, or in development generated once into the data dir.

In production a missing or short (< 32 bytes) ``JWT_SECRET`` fails closed:
token operations raise ``Misconfigured`` (HTTP 503) and health says why; the
unit still starts. No secret ever lives in the code.
"""
from __future__ import annotations

import os
import secrets
import threading
from pathlib import Path

from shared import config
from shared.errors import ServiceUnavailable
from shared.logging import get_logger

log = get_logger("auth.secret")

MIN_SECRET_BYTES = 32
_lock = threading.Lock()


class Misconfigured(ServiceUnavailable):
    code = "misconfigured"

    def __init__(self, reason: str):
        super().__init__("The service is misconfigured.", {"reason": reason})
        self.reason = reason


_development_keys: dict[Path, bytes] = {}


def _development_secret() -> bytes:
    """The data dir's key, read once per process: every token check needs it, the file never changes."""
    path = config.data_dir() / "jwt_secret"
    key = _development_keys.get(path)
    if key is not None:
        return key
    with _lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
            log.warning("JWT_SECRET is not set: generated a development secret",
                        extra={"fields": {"path": str(path)}})
        key = _development_keys[path] = path.read_text().strip().encode()
        return key


def jwt_secret() -> bytes:
    """The signing key, or ``Misconfigured`` when production has none fit for use."""
    value = os.environ.get("JWT_SECRET", "")
    if value:
        key = value.encode()
        if len(key) >= MIN_SECRET_BYTES:
            return key
        if config.is_production():
            raise Misconfigured(f"JWT_SECRET is shorter than {MIN_SECRET_BYTES} bytes")
        log.warning("JWT_SECRET is shorter than 32 bytes; accepted in development only")
        return key
    if config.is_production():
        raise Misconfigured("JWT_SECRET is not set")
    return _development_secret()


def secret_check() -> dict:
    """Health check: is there a usable signing key?"""
    try:
        jwt_secret()
    except Misconfigured as exc:
        return {"ok": False, "error": exc.reason}
    return {"ok": True, "environment": config.environment()}
