"""A lazy, thread-safe SQLAlchemy engine over ``shared.db.target``'s connections; ``transaction()``.

Options (environment variables):

- ``DATABASE_URL`` and ``TOKENWISE_DB_SCHEMA``: see ``shared.db.target``. In development
  the default is ``sqlite:///<TOKENWISE_DATA_DIR>/tokenwise.db``; in production an unset
  URL is "not configured" (never a throwaway file on an instance).
- ``DB_CONNECT_TIMEOUT_S`` (default 5): how long connecting may take; pg8000 waits forever without one.
- ``DB_QUERY_TIMEOUT_S`` (default 30): PostgreSQL ``statement_timeout``; the socket gives up
  ``SOCKET_GRACE_S`` later, when the server itself has gone silent.
- ``DB_POOL_SIZE`` (2), ``DB_MAX_OVERFLOW`` (2), ``DB_POOL_RECYCLE_S`` (300): keep
  instances x (size + overflow + 1 health probe) under the server's ``max_connections``.
- ``DB_POOL_TIMEOUT_S`` (10): wait for a free pooled connection before answering 503.
- ``DB_BACKOFF_MAX_S`` (10): longest pause between attempts after a failure (``shared.db.breaker``).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import URL, create_engine
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool, SingletonThreadPool

from shared import config
from shared.db import status, target
from shared.db.breaker import DatabaseUnavailable, breaker

_lock = threading.Lock()
# (target, engine or None); swapped as one value so readers never mix two.
_current: tuple[target.Target, Engine | None] | None = None


def _build(where: target.Target) -> Engine:
    # The URL only picks SQLAlchemy's dialect and pool; every connection comes from ``where.connect``.
    if where.backend == "sqlite":
        return create_engine(URL.create("sqlite", database=where.database), creator=where.connect,
                             poolclass=SingletonThreadPool if where.in_memory else QueuePool)
    return create_engine(
        URL.create("postgresql+pg8000"),
        creator=where.connect,
        pool_size=config.env_int("DB_POOL_SIZE", 2),
        max_overflow=config.env_int("DB_MAX_OVERFLOW", 2),
        pool_recycle=config.env_int("DB_POOL_RECYCLE_S", 300),
        pool_pre_ping=True,
        pool_timeout=config.env_float("DB_POOL_TIMEOUT_S", 10.0),
    )


def get_engine() -> Engine:
    """The engine for ``DATABASE_URL``, built on first use; rebuilt if the URL or schema changes.

    Raises ``DatabaseUnavailable`` when the URL cannot be used.
    """
    global _current
    where = target.current()
    current = _current
    if current is None or current[0].key != where.key:
        with _lock:
            current = _current
            if current is None or current[0].key != where.key:
                if current is not None and current[1] is not None:
                    current[1].dispose()
                engine = _build(where) if where.problem is None else None
                current = _current = (where, engine)
    if current[1] is None:
        raise DatabaseUnavailable(current[0].problem or "DATABASE_URL is not usable")
    return current[1]


def reset_engine() -> None:
    """Drop the engine, the failure memory and any probe (tests, and after changing ``DATABASE_URL``)."""
    global _current
    with _lock:
        if _current is not None and _current[1] is not None:
            _current[1].dispose()
        _current = None
    status.forget()
    with breaker.lock:
        breaker.clear()


@contextmanager
def transaction() -> Iterator[Connection]:
    """A connection in a transaction: committed on success, rolled back on any error.

    Raises ``DatabaseUnavailable`` (HTTP 503) when the server cannot be reached,
    without waiting while a recent failure is still being backed off.
    """
    engine = get_engine()
    trial = breaker.admit()
    try:
        conn = engine.connect()
    except PoolTimeout:
        breaker.abandon(trial)
        raise DatabaseUnavailable("all database connections are busy") from None
    except (DBAPIError, OSError) as exc:
        raise breaker.connect_failed(exc, trial) from exc
    breaker.succeeded()  # the server answered; what the caller does next is not about availability
    try:
        with conn, conn.begin():
            yield conn
    except (DBAPIError, OSError) as exc:
        # pg8000 lets a socket timeout or reset escape mid-query as a bare OSError; the pool
        # discards that connection when its reset fails, and pre-ping guards the rest.
        unavailable = breaker.use_failed(exc)
        if unavailable is None:
            raise
        raise unavailable from exc
