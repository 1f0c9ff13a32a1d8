"""Write and delete a user's usage records; every statement is scoped to one ``user_id``.

A batch is first encoded for its backend as its records arrive
(``BatchBuilder``, pure Python, no connection) and then written on the caller's connection (``write_batch``; one
transaction per batch is the caller's ``shared.db.transaction()``), which
returns how many rows were new: a record whose ``(user_id, request_id)`` is
already stored -- or repeated in the batch -- is skipped, which makes
re-imports idempotent. ``insert_records`` does both in one call.

- PostgreSQL (pg8000 is pure Python, so COPY is far cheaper than
  parameterised inserts). Optimistic path, for batches without repeated ids
  while nothing conflicted yet: COPY straight into ``usage_records`` under a
  savepoint; a unique violation rolls back to the savepoint, reports
  ``conflicted`` and takes the merge path. Merge path: COPY into a session
  temp table (``ON COMMIT DELETE ROWS``), then ``INSERT ... SELECT ... ON
  CONFLICT (user_id, request_id) DO NOTHING``, whose row count is the number
  of new rows. A driver network failure is raised as SQLAlchemy's
  ``InterfaceError`` so that ``shared.db.transaction`` reports the database
  as unavailable.
- SQLite: ``INSERT OR IGNORE`` through ``executemany``; new rows are counted
  with the cursor's ``rowcount``.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pg8000
from sqlalchemy import delete, exists, select, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection
from sqlalchemy.engine.interfaces import DBAPIConnection

from shared.db.schema import usage_records, users
from shared.usage.records import COLUMNS, Record

STAGE = "usage_import_stage"
_STAGE_TYPES = {
    "user_id": "text", "imported_at": "timestamp",
    "request_id": "text", "timestamp": "timestamp", "provider": "text", "model": "text", "feature": "text",
    "prompt_tokens": "integer", "completion_tokens": "integer", "cached_tokens": "integer",
    "cache_write_tokens": "integer", "latency_ms": "integer", "status": "text",
    "cost_usd": "numeric", "cost_source": "text", "is_batch": "boolean", "max_tokens": "integer",
    "prompt_hash": "text", "end_user": "text", "request_count": "integer", "source_format": "text",
}
WRITTEN = ("user_id", "imported_at", *COLUMNS)
if tuple(_STAGE_TYPES) != WRITTEN:
    raise RuntimeError("the stage table must list the written columns in order")

_QUOTED = ", ".join(f'"{name}"' for name in WRITTEN)
_CREATE_STAGE = (f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} ("
                 + ", ".join(f'"{name}" {kind}' for name, kind in _STAGE_TYPES.items())
                 + ") ON COMMIT DELETE ROWS")
_COPY_STAGE = f"COPY {STAGE} ({_QUOTED}) FROM STDIN WITH (FORMAT csv)"
_MERGE_STAGE = (f"INSERT INTO usage_records ({_QUOTED}) SELECT {_QUOTED} FROM {STAGE} "
                "ON CONFLICT (user_id, request_id) DO NOTHING")
_COPY_DIRECT = f"COPY usage_records ({_QUOTED}) FROM STDIN WITH (FORMAT csv)"
_SQLITE_INSERT = (f"INSERT OR IGNORE INTO usage_records ({_QUOTED}) "
                  f"VALUES ({', '.join('?' for _ in WRITTEN)})")


@dataclass(frozen=True)
class PreparedBatch:
    size: int
    payload: bytes | list[tuple]  # PostgreSQL: CSV for COPY; SQLite: parameter rows
    unique_ids: bool


def _sqlite_time(value: datetime) -> str:
    # The exact text SQLAlchemy's SQLite DateTime stores, so range filters compare correctly.
    return value.isoformat(sep=" ", timespec="microseconds")


class BatchBuilder:
    """Encodes records one by one as they are parsed, so a batch never holds its ``Record`` objects:
    CSV text for PostgreSQL's COPY, parameter tuples for SQLite. No database is touched."""

    def __init__(self, dialect: str, user_id: str, imported_at: datetime):
        self.postgresql = dialect == "postgresql"
        self.ids: list[str] = []
        # user id and import time, in the form each backend's payload carries the time
        self.prefix: tuple[str, datetime | str]
        if self.postgresql:
            self.prefix = (user_id, imported_at)
            self.buffer = io.StringIO()
            self.writerow = csv.writer(self.buffer, lineterminator="\n").writerow
        else:
            self.prefix = (user_id, _sqlite_time(imported_at))
            self.rows: list[tuple] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, record: Record) -> None:
        self.ids.append(record[0])
        if self.postgresql:
            self.writerow(self.prefix + record)
        else:
            self.rows.append((*self.prefix, record[0], _sqlite_time(record[1]), *record[2:]))

    def finish(self) -> PreparedBatch:
        unique = len(set(self.ids)) == len(self.ids)
        payload = self.buffer.getvalue().encode("utf-8") if self.postgresql else self.rows
        return PreparedBatch(len(self.ids), payload, unique)


def _dbapi_connection(conn: Connection) -> DBAPIConnection:
    """The driver's own connection under ``conn``."""
    dbapi = conn.connection.dbapi_connection
    # None only once the pool's proxy is invalidated or checked in; an invalidated ``conn`` then
    # revalidates (or raises) when ``conn.connection`` is read, so an open one never yields it
    assert dbapi is not None
    return dbapi


class _Driver:
    """Runs statements on the raw pg8000 cursor (COPY needs it), reporting network failures like SQLAlchemy."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self.cursor = _dbapi_connection(conn).cursor()

    def execute(self, statement: str, stream: bytes | None = None):
        try:
            if stream is not None:
                # ``stream=`` is pg8000's own keyword (COPY's input), unknown to the DBAPI protocol type
                self.cursor.execute(statement, stream=[stream])  # type: ignore[call-arg]
            else:
                self.cursor.execute(statement)
        except pg8000.InterfaceError as exc:
            self.conn.invalidate()
            raise sa_exc.InterfaceError(statement, None, exc, connection_invalidated=True) from exc
        return self.cursor


def _unique_violation(exc: pg8000.DatabaseError) -> bool:
    detail = exc.args[0] if exc.args else None
    return isinstance(detail, dict) and detail.get("C") == "23505"


def _copy_direct(driver: _Driver, payload: bytes) -> bool:
    """COPY straight into the table; False (and nothing written) when a request id is already stored."""
    driver.execute("SAVEPOINT usage_copy")
    try:
        driver.execute(_COPY_DIRECT, payload)
    except pg8000.DatabaseError as exc:
        if not _unique_violation(exc):
            raise
        driver.execute("ROLLBACK TO SAVEPOINT usage_copy")
        return False
    driver.execute("RELEASE SAVEPOINT usage_copy")
    return True


def write_batch(conn: Connection, batch: PreparedBatch, optimistic: bool = True) -> tuple[int, bool]:
    """Write a prepared batch; returns ``(new rows, conflicted)`` -- ``conflicted`` when the optimistic
    COPY met a stored id (callers then stop being optimistic for the rest of an import)."""
    if batch.size == 0:
        return 0, False
    if conn.dialect.name != "postgresql":
        # The cursor's rowcount sums each insert's own changes: an ignored duplicate adds 0, and rows
        # written by triggers (the prompt-hash counts) are not included, unlike ``total_changes``.
        cursor = _dbapi_connection(conn).executemany(_SQLITE_INSERT, batch.payload)
        return cursor.rowcount, False
    payload = batch.payload
    assert isinstance(payload, bytes)  # a batch is built for its connection's backend: CSV for PostgreSQL
    driver = _Driver(conn)
    try:
        conflicted = False
        if optimistic and batch.unique_ids:
            if _copy_direct(driver, payload):
                return batch.size, False
            conflicted = True
        driver.execute(_CREATE_STAGE)
        driver.execute(_COPY_STAGE, payload)
        return driver.execute(_MERGE_STAGE).rowcount, conflicted
    finally:
        driver.cursor.close()


def insert_records(conn: Connection, user_id: str, records: Sequence[Record], imported_at: datetime) -> int:
    """Write ``records`` for ``user_id``; returns how many were new (the rest were already stored)."""
    builder = BatchBuilder(conn.dialect.name, user_id, imported_at)
    for record in records:
        builder.add(record)
    return write_batch(conn, builder.finish())[0]


def delete_records(conn: Connection, user_id: str) -> int:
    """Delete every record of ``user_id``; returns how many there were."""
    return conn.execute(delete(usage_records).where(usage_records.c.user_id == user_id)).rowcount


def user_exists(conn: Connection, user_id: str) -> bool:
    return bool(conn.execute(select(exists().where(users.c.id == user_id))).scalar())


# Planner statistics lag a bulk load until autovacuum gets round to it; until then PostgreSQL may
# pick a plan for an empty table and the first questions on fresh data run many times slower.
ANALYZE_AFTER_ROWS = 10_000


def refresh_statistics(conn: Connection, inserted: int) -> bool:
    """``ANALYZE usage_records`` after a large load on PostgreSQL; True when it ran."""
    if inserted < ANALYZE_AFTER_ROWS or conn.dialect.name != "postgresql":
        return False
    conn.execute(text("ANALYZE usage_records"))
    return True
