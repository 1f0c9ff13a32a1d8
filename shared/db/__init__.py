"""The shared database layer: one lazy engine, visible degradation, typed unavailability.

Use ``with transaction() as conn:`` for work, ``db_status()`` for health.
Nothing here connects at import time, and the names load their module on first
use: ``db_status`` and ``DatabaseUnavailable`` without SQLAlchemy, the rest with it.
"""
from importlib import import_module

_HOMES = {
    "DatabaseUnavailable": "shared.db.breaker",
    "backend": "shared.db.target",
    "database_url": "shared.db.target",
    "db_status": "shared.db.status",
    "get_engine": "shared.db.engine",
    "reset_engine": "shared.db.engine",
    "transaction": "shared.db.engine",
}
__all__ = list(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'shared.db' has no attribute {name!r}")
    return getattr(import_module(_HOMES[name]), name)
