"""``db_status()``: is the database reachable and migrated? Answered within about ``DB_STATUS_TIMEOUT_S``.

The probe opens its own connection through ``Target.connect``, the function the
engine's pool opens connections with, runs ``SELECT 1``, reads the schema
revision and closes it: one connection at a time per process, whatever the
pool is doing. It needs no SQLAlchemy, so a cold start's first health check
does not wait for the query layer to load. That layer (``shared.db.engine``
and SQLAlchemy) then loads in the background, and if it cannot, the status
turns ``degraded`` with the reason: a broken install never hides behind a
reachable database.

Option: ``DB_STATUS_TIMEOUT_S`` (default 1.5), how long ``db_status()`` waits for its probe.
"""
from __future__ import annotations

import importlib.util
import threading
import time
from concurrent.futures import Future, wait

from shared import config, preload
from shared.db import failures, revisions, target
from shared.db.breaker import DatabaseUnavailable, breaker

QUERY_LAYER = "shared.db.engine"
# The dialect SQLAlchemy imports when the engine is built (PostgreSQL's costs ~100 ms): loaded with the
# layer, so that the first request does not pay for it.
DIALECTS = {"sqlite": "sqlalchemy.dialects.sqlite.pysqlite", "postgresql": "sqlalchemy.dialects.postgresql.pg8000"}
_lock = threading.Lock()
_probes: dict[str, Future] = {}


def _probe(where: target.Target) -> tuple[float, str | None]:
    if where.problem is not None:
        raise DatabaseUnavailable(where.problem)
    errors = where.driver_errors
    trial = breaker.admit()
    started = time.perf_counter()
    try:
        conn = where.connect()
    except errors as exc:
        raise breaker.connect_failed(exc, trial) from exc
    breaker.succeeded()
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT 1")
        cursor.fetchall()
        cursor.close()
        latency_ms = (time.perf_counter() - started) * 1000
        return latency_ms, revisions.schema_problem(revisions.recorded(conn, where.backend))
    except errors as exc:
        unavailable = breaker.use_failed(exc)
        if unavailable is None:
            raise
        raise unavailable from exc
    finally:
        target.close_quietly(conn)


def query_layer_problem(backend: str) -> str | None:
    """Why the query layer cannot load, ``None`` while it loads or once it has; starts loading it."""
    if importlib.util.find_spec("sqlalchemy") is None:
        return "the query layer cannot load: SQLAlchemy is not installed"
    layer = preload.load((QUERY_LAYER, DIALECTS[backend]))
    failure = layer.exception() if layer.done() else None
    if failure is None:
        return None
    return f"the query layer cannot load: {failures.short(failure)}"


def forget() -> None:
    """Drop every probe (tests, and after changing ``DATABASE_URL``)."""
    with _lock:
        _probes.clear()


def db_status() -> dict:
    """``{status, backend, latency_ms, error}`` within about ``DB_STATUS_TIMEOUT_S``, whatever the server does."""
    where = target.current()
    result = {"status": "connected", "backend": where.backend, "latency_ms": None, "error": None}
    with _lock:  # A probe stuck on a silent host is shared, not queued behind.
        future = _probes.get(where.key)
        if future is None or future.done():
            future = _probes[where.key] = preload.in_thread("db-probe", lambda: _probe(where))
    if not wait([future], timeout=config.env_float("DB_STATUS_TIMEOUT_S", 1.5)).done:
        result.update(status="degraded", error="no answer from the database within the status timeout")
    else:
        try:
            latency_ms, problem = future.result()
        except DatabaseUnavailable as exc:
            status = "not_configured" if exc.reason.startswith("DATABASE_URL") else "degraded"
            result.update(status=status, error=exc.reason)
        else:
            result["latency_ms"] = round(latency_ms, 2)
            if problem is not None:
                result.update(status="degraded", error=problem)
    layer_problem = query_layer_problem(where.backend)
    if layer_problem is not None:
        result["error"] = "; ".join(filter(None, (result["error"], layer_problem)))
        if result["status"] == "connected":
            result["status"] = "degraded"
    return result
