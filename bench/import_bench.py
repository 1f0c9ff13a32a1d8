"""Import rate against a raw PostgreSQL COPY of the same rows: ``python -m bench.import_bench``.

Generates N demo rows (``shared.demo``) as a JSON Lines file, then, in a
dedicated schema that is dropped afterwards:

1. raw COPY: the same rows, already normalised and priced, as CSV, streamed
   with ``COPY ... FROM STDIN`` into a table made ``LIKE usage_records
   INCLUDING ALL`` plus the same foreign key (same columns, defaults, indexes
   and constraints);
2. import: the JSON Lines file through ``shared.usage.import_stream`` -- the
   code path of ``POST /api/usage/import`` after authentication: streaming
   read, format checks, pricing, batched COPY into a temp table and
   ``INSERT ... ON CONFLICT DO NOTHING``.

It prints rows per second for both and their ratio (target: import >= 0.5x
COPY). File preparation is not timed. Options: ``--rows`` (100000; the issue's
figure is ``--rows 1000000``), ``--seed`` (7), ``--batch-rows`` (the
importer's default), ``--pg-url`` (``TOKENWISE_BENCH_PG_URL``, else
``TOKENWISE_TEST_PG_URL``, else the local server), ``--json PATH`` (also write
the figures as JSON).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from bench import common


def _prepare_files(folder: Path, rows: int, seed: int, end: datetime) -> tuple[Path, Path, float]:
    """The JSON Lines upload and the CSV the raw COPY reads (the same rows, normalised and priced)."""
    from shared.demo import generate_rows, write_rows
    from shared.usage import COLUMNS, Pricer
    from shared.usage.formats import tokenwise
    from shared.usage.records import RowCheck

    started = time.perf_counter()
    jsonl, copy_csv = folder / "usage.jsonl", folder / "usage.csv"
    with open(jsonl, "w", encoding="utf-8") as out:
        write_rows(generate_rows(rows, seed, end), out, "jsonl")
    pricer = Pricer()
    with open(jsonl, "rb") as source, open(copy_csv, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for line in source:
            check = RowCheck()
            record = tokenwise.parse(json.loads(line), check, pricer)
            writer.writerow(record)
    assert len(COLUMNS) == len(record)
    return jsonl, copy_csv, time.perf_counter() - started


def _raw_copy(engine, user_id: str, copy_csv: Path) -> float:
    from shared.usage import COLUMNS
    columns = ", ".join(f'"{name}"' for name in COLUMNS)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE usage_copy_target (LIKE usage_records INCLUDING ALL)"))
        # LIKE copies indexes but not foreign keys: add it, so both paths check the user per row
        conn.execute(text("ALTER TABLE usage_copy_target ADD FOREIGN KEY (user_id) REFERENCES users (id) "
                          "ON DELETE CASCADE"))
        # user_id and imported_at come from column defaults so that the file holds the record columns only
        conn.execute(text(f"ALTER TABLE usage_copy_target ALTER COLUMN user_id SET DEFAULT '{user_id}'"))
        conn.execute(text("ALTER TABLE usage_copy_target ALTER COLUMN imported_at SET DEFAULT now()"))
    _checkpoint(engine)
    started = time.perf_counter()
    with engine.begin() as conn, open(copy_csv, "rb") as source:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute(f"COPY usage_copy_target ({columns}) FROM STDIN WITH (FORMAT csv)", stream=source)
        copied = cursor.rowcount
    elapsed = time.perf_counter() - started
    return elapsed, copied


def _checkpoint(engine) -> None:
    """Start each timed phase from a clean WAL state when the role may (superuser)."""
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("CHECKPOINT"))
    except Exception:  # not permitted: the phases then share whatever state the server is in
        pass


def run(rows: int, seed: int, pg_url: str, batch_rows: int | None) -> dict:
    schema = f"tw_bench_{uuid.uuid4().hex[:10]}"
    # pg8000's socket timeout and the server's statement timeout bound each statement: one COPY of a
    # million rows needs longer than the defaults on a busy machine.
    os.environ.update({"DATABASE_URL": pg_url, "TOKENWISE_DB_SCHEMA": schema, "DB_CONNECT_TIMEOUT_S": "900",
                       "DB_QUERY_TIMEOUT_S": "900"})
    from shared.db import get_engine, reset_engine
    from shared.db.migrate import upgrade
    from shared.db.schema import users
    from shared.usage import import_stream

    reset_engine()
    upgrade()
    engine = get_engine()
    user_id = str(uuid.uuid4())
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(insert(users).values(id=user_id, email=f"bench-{user_id[:8]}@example.com", name="bench",
                                          password_hash="-", created_at=now, failed_logins=0))
    try:
        with tempfile.TemporaryDirectory(prefix="tw-import-bench-") as folder:
            jsonl, copy_csv, prepare_s = _prepare_files(Path(folder), rows, seed, now.replace(microsecond=0))
            copy_s, copied = _raw_copy(engine, user_id, copy_csv)
            _checkpoint(engine)
            started = time.perf_counter()
            with open(jsonl, "rb") as body:
                report = import_stream(user_id, body, "application/x-ndjson", "tokenwise",
                                       limit_bytes=jsonl.stat().st_size + 1, rows_per_batch=batch_rows)
            import_s = time.perf_counter() - started
            sizes = {"jsonl_bytes": jsonl.stat().st_size, "copy_csv_bytes": copy_csv.stat().st_size}
    finally:
        reset_engine()
        cleanup = create_engine(pg_url)
        with cleanup.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        cleanup.dispose()
    if report.imported != rows or copied != rows:
        raise SystemExit(f"row counts differ: imported {report.imported}, copied {copied}, expected {rows}")
    return {
        "rows": rows, "prepare_s": round(prepare_s, 2), **sizes,
        "copy_s": round(copy_s, 3), "copy_rows_per_s": round(rows / copy_s),
        "import_s": round(import_s, 3), "import_rows_per_s": round(rows / import_s),
        "ratio": round(copy_s / import_s, 3), "target_ratio": 0.5,
        "batch_rows": batch_rows or "default", "schema_dropped": schema,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.import_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch-rows", type=int, default=None)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--json", default=None)
    args = parser.parse_args(argv)
    figures = run(args.rows, args.seed, common.pg_url(args.pg_url), args.batch_rows)
    print(f"rows                 {figures['rows']:>12,}")
    print(f"raw COPY             {figures['copy_s']:>12.2f} s  {figures['copy_rows_per_s']:>10,} rows/s")
    print(f"import (JSON Lines)  {figures['import_s']:>12.2f} s  {figures['import_rows_per_s']:>10,} rows/s")
    verdict = "meets" if figures["ratio"] >= figures["target_ratio"] else "misses"
    print(f"import / COPY rate   {figures['ratio']:>12.3f}x  ({verdict} the 0.5x target)")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
