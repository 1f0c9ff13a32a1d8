"""Settings read from the environment at call time, never at import.

Options (environment variables):

- ``TOKENWISE_ENV``: ``development`` or ``production``. Defaults to ``production``
  when ``K_SERVICE`` is set (as on Cloud Run), else ``development``.
- ``TOKENWISE_DATA_DIR``: local data folder (embedded SQLite file, development
  secret). Default ``./.data``.
- ``DATABASE_URL``: the database; its forms are listed in ``shared.db.target``.
- ``JWT_SECRET``: HS256 key, at least 32 bytes in production.
"""
from __future__ import annotations

import os
from pathlib import Path

DEVELOPMENT = "development"
PRODUCTION = "production"


def environment() -> str:
    value = os.environ.get("TOKENWISE_ENV", "").strip().lower()
    if value in (DEVELOPMENT, PRODUCTION):
        return value
    # An unknown value must not silently relax security: treat it as production.
    if value:
        return PRODUCTION
    return PRODUCTION if os.environ.get("K_SERVICE") else DEVELOPMENT


def is_production() -> bool:
    return environment() == PRODUCTION


def data_dir() -> Path:
    return Path(os.environ.get("TOKENWISE_DATA_DIR", ".data")).resolve()


def env_float(name: str, default: float) -> float:
    """A float option; a malformed value falls back to the default (options are tuning, not truth)."""
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


def env_int(name: str, default: int) -> int:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return default


