"""A lazy, thread-safe SQLAlchemy engine that backs off after failures and reports why.

Options (environment variables):

- ``DATABASE_URL``: default ``sqlite:///<TOKENWISE_DATA_DIR>/tokenwise.db``.
  PostgreSQL: ``postgresql+pg8000://USER:PASS@HOST:5432/DB``; Cloud SQL from
  Cloud Run over its unix socket:
  ``postgresql+pg8000://USER:PASS@/DB?unix_sock=/cloudsql/PROJECT:REGION:INSTANCE/.s.PGSQL.5432``.
- ``TOKENWISE_DB_SCHEMA``: PostgreSQL schema to work in (``search_path``); tests use it.
- ``DB_CONNECT_TIMEOUT_S`` (default 5): pg8000's socket timeout; without one it waits forever.
- ``DB_POOL_SIZE`` (2), ``DB_MAX_OVERFLOW`` (2), ``DB_POOL_RECYCLE_S`` (300): keep
  instances x (size + overflow) under the server's ``max_connections``.
- ``DB_BACKOFF_MAX_S`` (10): longest pause between attempts after a failure.
- ``DB_STATUS_TIMEOUT_S`` (1.5): how long ``db_status()`` waits for its probe.
"""
from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Iterator

import os

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError

from shared import config
from shared.errors import ServiceUnavailable
from shared.logging import get_logger

log = get_logger("db")


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached or is not set up; every unit answers 503."""
    code = "database_unavailable"

    def __init__(self, reason: str):
        super().__init__("The database is unavailable.", {"reason": reason})
        self.reason = reason


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    return f"sqlite:///{config.data_dir() / 'tokenwise.db'}"


def backend(url: str | None = None) -> str:
    url = url or database_url()
    return "sqlite" if url.startswith("sqlite") else "postgresql"


class _Breaker:
    """Remembers the last failure and how long to wait before trying the server again."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.error: str | None = None
        self.failures = 0
        self.retry_at = 0.0

    def check(self) -> None:
        with self.lock:
            if self.error and time.monotonic() < self.retry_at:
                raise DatabaseUnavailable(self.error)

    def failed(self, reason: str) -> None:
        with self.lock:
            self.failures += 1
            self.error = reason
            pause = min(config.env_float("DB_BACKOFF_MAX_S", 10.0), 0.25 * 2 ** (self.failures - 1))
            self.retry_at = time.monotonic() + pause
        log.warning("database unavailable", extra={"fields": {"reason": reason, "retry_in_s": pause}})

    def succeeded(self) -> None:
        if self.error is None:
            return
        with self.lock:
            if self.error is not None:
                log.info("database reachable again", extra={"fields": {"after_failures": self.failures}})
            self.error, self.failures, self.retry_at = None, 0, 0.0


_lock = threading.Lock()
_engine: Engine | None = None
_engine_url: str | None = None
_config_error: str | None = None
_breaker = _Breaker()
_probe_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-probe")
_probe_inflight = None


def _short(exc: BaseException) -> str:
    """One line naming the cause, with any password in a URL masked."""
    cause = getattr(exc, "orig", None) or exc
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    message = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", message)
    return f"{type(cause).__name__}: {message}"[:300]


def _build(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(database)) or ".", exist_ok=True)
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers run beside one writer.
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=15000")
            if database and database != ":memory:":
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine

    if parsed.get_backend_name() != "postgresql" or parsed.get_driver_name() != "pg8000":
        raise ArgumentError(f"unsupported database URL scheme {parsed.drivername!r}; "
                            "use postgresql+pg8000:// or sqlite://")
    connect_args = {"timeout": config.env_float("DB_CONNECT_TIMEOUT_S", 5.0)}
    if "unix_sock" in parsed.query:
        connect_args["unix_sock"] = parsed.query["unix_sock"]
        parsed = parsed.difference_update_query(["unix_sock"])
    engine = create_engine(
        parsed,
        connect_args=connect_args,
        pool_size=config.env_int("DB_POOL_SIZE", 2),
        max_overflow=config.env_int("DB_MAX_OVERFLOW", 2),
        pool_recycle=config.env_int("DB_POOL_RECYCLE_S", 300),
        pool_pre_ping=True,
        pool_timeout=10,
    )
    schema = os.environ.get("TOKENWISE_DB_SCHEMA", "").strip()
    if schema:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
            raise ArgumentError(f"TOKENWISE_DB_SCHEMA {schema!r} is not a plain lower-case identifier")

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_conn, _record):
            cursor = dbapi_conn.cursor()
            cursor.execute(f"SET search_path TO {schema}")
            cursor.close()
            dbapi_conn.commit()

    return engine


def get_engine() -> Engine:
    """The engine for ``DATABASE_URL``, built on first use; rebuilt if the URL or schema changes.

    Raises ``DatabaseUnavailable`` when the URL cannot be used.
    """
    global _engine, _engine_url, _config_error
    url = database_url()
    key = f"{url}#{os.environ.get('TOKENWISE_DB_SCHEMA', '')}"
    if _engine is not None and _engine_url == key:
        return _engine
    with _lock:
        if _engine is None or _engine_url != key:
            if _engine is not None:
                _engine.dispose()
            _engine, _engine_url, _config_error = None, key, None
            try:
                _engine = _build(url)
            except (ArgumentError, ValueError, TypeError) as exc:
                _config_error = f"DATABASE_URL is not usable: {_short(exc)}"
        if _engine is None:
            raise DatabaseUnavailable(_config_error or "DATABASE_URL is not usable")
        return _engine


def reset_engine() -> None:
    """Drop the engine and the failure memory (tests, and after changing ``DATABASE_URL``)."""
    global _engine, _engine_url, _config_error
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine, _engine_url, _config_error = None, None, None
    _breaker.succeeded()


def _unavailable(exc: DBAPIError) -> bool:
    """Errors that mean 'cannot reach or use the server', as opposed to a bug in our SQL."""
    if exc.connection_invalidated or isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        return True
    return False


@contextmanager
def transaction() -> Iterator[Connection]:
    """A connection in a transaction: committed on success, rolled back on any error.

    Raises ``DatabaseUnavailable`` (HTTP 503) when the server cannot be reached,
    without waiting while a recent failure is still being backed off.
    """
    engine = get_engine()
    _breaker.check()
    try:
        with engine.begin() as conn:
            yield conn
    except DBAPIError as exc:
        if not _unavailable(exc):
            raise
        _breaker.failed(_short(exc))
        raise DatabaseUnavailable(_short(exc)) from exc
    _breaker.succeeded()


def _probe() -> float:
    started = time.perf_counter()
    with transaction() as conn:
        conn.execute(text("SELECT 1"))
    return (time.perf_counter() - started) * 1000


def db_status() -> dict:
    """``{status, backend, latency_ms, error}`` within about ``DB_STATUS_TIMEOUT_S``, whatever the server does."""
    url = database_url()
    result = {"status": "connected", "backend": backend(url), "latency_ms": None, "error": None}
    if not url:
        return {**result, "status": "not_configured", "error": "DATABASE_URL is empty"}
    global _probe_inflight
    with _lock:  # A probe stuck on a silent host is shared, not queued behind.
        if _probe_inflight is None or _probe_inflight.done():
            _probe_inflight = _probe_pool.submit(_probe)
        future = _probe_inflight
    try:
        result["latency_ms"] = round(future.result(timeout=config.env_float("DB_STATUS_TIMEOUT_S", 1.5)), 2)
    except FutureTimeout:
        result.update(status="degraded", error="no answer from the database within the status timeout")
    except DatabaseUnavailable as exc:
        status = "not_configured" if exc.reason.startswith("DATABASE_URL") else "degraded"
        result.update(status=status, error=exc.reason)
    return result
