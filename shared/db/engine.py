"""A lazy, thread-safe SQLAlchemy engine that backs off after failures and reports why.

Options (environment variables):

- ``DATABASE_URL``: default ``sqlite:///<TOKENWISE_DATA_DIR>/tokenwise.db`` in
  development; in production an unset URL is "not configured" (never a
  throwaway file on an instance). PostgreSQL: ``postgresql+pg8000://USER:PASS@HOST:5432/DB``;
  Cloud SQL from Cloud Run over its unix socket:
  ``postgresql+pg8000://USER:PASS@/DB?unix_sock=/cloudsql/PROJECT:REGION:INSTANCE/.s.PGSQL.5432``.
- ``TOKENWISE_DB_SCHEMA``: PostgreSQL schema to work in (``search_path``); tests use it.
- ``DB_CONNECT_TIMEOUT_S`` (default 5): how long connecting may take; pg8000 waits forever without one.
- ``DB_QUERY_TIMEOUT_S`` (default 30): PostgreSQL ``statement_timeout``; the socket gives up
  ``SOCKET_GRACE_S`` later, when the server itself has gone silent.
- ``DB_POOL_SIZE`` (2), ``DB_MAX_OVERFLOW`` (2), ``DB_POOL_RECYCLE_S`` (300): keep
  instances x (size + overflow) under the server's ``max_connections``.
- ``DB_POOL_TIMEOUT_S`` (10): wait for a free pooled connection before answering 503.
- ``DB_BACKOFF_MAX_S`` (10): longest pause between attempts after a failure.
- ``DB_STATUS_TIMEOUT_S`` (1.5): how long ``db_status()`` waits for its probe.
"""
from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from shared import config
from shared.db import failures
from shared.errors import ServiceUnavailable
from shared.logging import get_logger

log = get_logger("db")

NOT_SET_IN_PRODUCTION = "DATABASE_URL is not set; production needs a PostgreSQL URL"


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
    """Remembers the last failure and when the server may be tried again.

    While a failure is remembered, at most one caller at a time (the trial)
    tries the server once the pause is over; the others fail fast.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.error: str | None = None
        self.failures = 0
        self.retry_at = 0.0

    def admit(self) -> bool:
        """``True`` when this call is the trial after a failure; raises inside the pause."""
        with self.lock:
            if self.error is None:
                return False
            now = time.monotonic()
            if now < self.retry_at:
                raise DatabaseUnavailable(self.error)
            # Hold the others back for as long as one connect attempt can take.
            self.retry_at = now + 2 * config.env_float("DB_CONNECT_TIMEOUT_S", 5.0) + 1
            return True

    def failed(self, reason: str, trial: bool) -> None:
        with self.lock:
            if self.error is not None and not trial:
                self.error = reason  # a call admitted before the first failure: same outage
                return
            self.failures += 1
            self.error = reason
            pause = min(config.env_float("DB_BACKOFF_MAX_S", 10.0), 0.25 * 2 ** (self.failures - 1))
            self.retry_at = time.monotonic() + pause
        log.warning("database unavailable", extra={"fields": {"reason": reason, "retry_in_s": pause}})

    def abandon(self, trial: bool) -> None:
        """The trial learned nothing (the pool was busy): let the next caller try."""
        if trial:
            with self.lock:
                self.retry_at = time.monotonic()

    def succeeded(self) -> None:
        if self.error is None:
            return
        with self.lock:
            if self.error is not None:
                log.info("database reachable again", extra={"fields": {"after_failures": self.failures}})
            self.clear()


_lock = threading.Lock()
# (key, engine or None, why the URL is unusable or None); swapped as one value so readers never mix two.
_current: tuple[str, Engine | None, str | None] | None = None
_breaker = _Breaker()
_probes: dict[str, Future] = {}


def _settings() -> tuple[str, str, str | None]:
    """(cache key, URL, configuration problem) from the environment as it is now."""
    url = database_url()
    problem = None
    if not os.environ.get("DATABASE_URL", "").strip() and config.is_production():
        problem = NOT_SET_IN_PRODUCTION
    key = f"{url}#{os.environ.get('TOKENWISE_DB_SCHEMA', '')}#{problem or ''}"
    return key, url, problem


def _sqlite_engine(parsed) -> Engine:
    database = parsed.database or ""
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 15})
    on_disk = bool(database) and database != ":memory:" and not database.startswith("file:")

    if on_disk:
        folder = os.path.dirname(os.path.abspath(database))

        @event.listens_for(engine, "do_connect")
        def _ensure_folder(dialect, conn_rec, cargs, cparams):
            # At connect time, not build time: a folder that appears later (a mounted volume) is used.
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as exc:
                raise sqlite3.OperationalError(
                    f"cannot create the folder {folder} for the SQLite database: {exc.strerror}") from exc

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):  # WAL lets readers run beside one writer.
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        if on_disk:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    return engine


SOCKET_GRACE_S = 2.0


def _build(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)

    if parsed.get_backend_name() != "postgresql" or parsed.get_driver_name() != "pg8000":
        raise ArgumentError(f"unsupported database URL scheme {parsed.drivername!r}; "
                            "use postgresql+pg8000:// or sqlite://")
    connect_args = {"timeout": config.env_float("DB_CONNECT_TIMEOUT_S", 5.0)}
    if "unix_sock" in parsed.query:
        connect_args["unix_sock"] = parsed.query["unix_sock"]
        parsed = parsed.difference_update_query(["unix_sock"])
    schema = os.environ.get("TOKENWISE_DB_SCHEMA", "").strip()
    if schema and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise ArgumentError(f"TOKENWISE_DB_SCHEMA {schema!r} is not a plain lower-case identifier")
    engine = create_engine(
        parsed,
        connect_args=connect_args,
        pool_size=config.env_int("DB_POOL_SIZE", 2),
        max_overflow=config.env_int("DB_MAX_OVERFLOW", 2),
        pool_recycle=config.env_int("DB_POOL_RECYCLE_S", 300),
        pool_pre_ping=True,
        pool_timeout=config.env_float("DB_POOL_TIMEOUT_S", 10.0),
    )
    query_timeout = config.env_float("DB_QUERY_TIMEOUT_S", 30.0)

    @event.listens_for(engine, "connect")
    def _session_settings(dbapi_conn, _record):
        # pg8000's one `timeout` bounds connecting and every socket read alike. Once connected, the
        # server's statement_timeout bounds a query; the socket waits a little longer, so a slow query
        # is cancelled cleanly and only a silent server trips the socket timeout.
        dbapi_conn._usock.settimeout(query_timeout + SOCKET_GRACE_S)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"SET statement_timeout = {int(query_timeout * 1000)}")
        if schema:
            cursor.execute(f"SET search_path TO {schema}")
        cursor.close()
        dbapi_conn.commit()

    return engine


def get_engine() -> Engine:
    """The engine for ``DATABASE_URL``, built on first use; rebuilt if the URL or schema changes.

    Raises ``DatabaseUnavailable`` when the URL cannot be used.
    """
    global _current
    key, url, problem = _settings()
    current = _current
    if current is None or current[0] != key:
        with _lock:
            current = _current
            if current is None or current[0] != key:
                if current is not None and current[1] is not None:
                    current[1].dispose()
                engine = None
                if problem is None:
                    try:
                        engine = _build(url)
                    except (ArgumentError, ValueError, TypeError) as exc:
                        problem = f"DATABASE_URL is not usable: {failures.short(exc)}"
                current = _current = (key, engine, problem)
    if current[1] is None:
        raise DatabaseUnavailable(current[2] or "DATABASE_URL is not usable")
    return current[1]


def reset_engine() -> None:
    """Drop the engine, the failure memory and any probe (tests, and after changing ``DATABASE_URL``)."""
    global _current
    with _lock:
        if _current is not None and _current[1] is not None:
            _current[1].dispose()
        _current = None
        _probes.clear()
    with _breaker.lock:
        _breaker.clear()


@contextmanager
def transaction() -> Iterator[Connection]:
    """A connection in a transaction: committed on success, rolled back on any error.

    Raises ``DatabaseUnavailable`` (HTTP 503) when the server cannot be reached,
    without waiting while a recent failure is still being backed off.
    """
    engine = get_engine()
    trial = _breaker.admit()
    try:
        conn = engine.connect()
    except PoolTimeout:
        _breaker.abandon(trial)
        raise DatabaseUnavailable("all database connections are busy") from None
    except (DBAPIError, OSError) as exc:
        reason = failures.short(exc)
        if failures.connect_failure(exc) == failures.BUSY:
            _breaker.abandon(trial)
        else:
            _breaker.failed(reason, trial)
        raise DatabaseUnavailable(reason) from exc
    _breaker.succeeded()  # the server answered; what the caller does next is not about availability
    try:
        with conn, conn.begin():
            yield conn
    except DBAPIError as exc:
        kind = failures.in_use_failure(exc)
        if kind is None:
            raise
        reason = failures.short(exc)
        if kind == failures.DOWN:
            _breaker.failed(reason, trial=False)
        raise DatabaseUnavailable(reason) from exc
    except OSError as exc:  # pg8000 lets a socket timeout or reset escape mid-query, unwrapped;
        # the pool discards that connection when its reset fails, and pre-ping guards the rest.
        reason = failures.short(exc)
        if isinstance(exc, TimeoutError):
            waited = config.env_float("DB_QUERY_TIMEOUT_S", 30.0) + SOCKET_GRACE_S
            reason = f"TimeoutError: no answer from the database server within {waited} s"
        _breaker.failed(reason, trial=False)
        raise DatabaseUnavailable(reason) from exc


def _probe() -> tuple[float, str | None]:
    from shared.db.revisions import schema_problem
    started = time.perf_counter()
    with transaction() as conn:
        conn.execute(text("SELECT 1"))
        latency_ms = (time.perf_counter() - started) * 1000
        return latency_ms, schema_problem(conn)


def _start_probe() -> Future:
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(_probe())
        except BaseException as exc:  # handed to whoever waits on the future
            future.set_exception(exc)

    # A daemon thread per probe: one stuck on a silent host never delays the next URL's probe or exit.
    threading.Thread(target=run, name="db-probe", daemon=True).start()
    return future


def db_status() -> dict:
    """``{status, backend, latency_ms, error}`` within about ``DB_STATUS_TIMEOUT_S``, whatever the server does."""
    key, url, _problem = _settings()
    result = {"status": "connected", "backend": backend(url), "latency_ms": None, "error": None}
    with _lock:  # A probe stuck on a silent host is shared, not queued behind.
        future = _probes.get(key)
        if future is None or future.done():
            future = _probes[key] = _start_probe()
    try:
        latency_ms, problem = future.result(timeout=config.env_float("DB_STATUS_TIMEOUT_S", 1.5))
    except DatabaseUnavailable as exc:
        status = "not_configured" if exc.reason.startswith("DATABASE_URL") else "degraded"
        result.update(status=status, error=exc.reason)
    except FutureTimeout:
        if future.done():  # the probe itself raised TimeoutError: a bug, not a slow server
            raise
        result.update(status="degraded", error="no answer from the database within the status timeout")
    else:
        result["latency_ms"] = round(latency_ms, 2)
        if problem is not None:
            result.update(status="degraded", error=problem)
    return result
