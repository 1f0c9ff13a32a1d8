"""The shared database layer: one lazy engine, visible degradation, typed unavailability.

Use ``with transaction() as conn:`` for work, ``db_status()`` for health.
Nothing here connects at import time.
"""
from shared.db.engine import (
    DatabaseUnavailable,
    backend,
    database_url,
    db_status,
    get_engine,
    reset_engine,
    transaction,
)

__all__ = [
    "DatabaseUnavailable",
    "backend",
    "database_url",
    "db_status",
    "get_engine",
    "reset_engine",
    "transaction",
]
