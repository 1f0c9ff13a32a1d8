"""Demo data: a deterministic generator of realistic usage and a loader for a demo user.

- ``generate_rows(rows, seed, end, days)``: lazy rows in our import format
  (``shared.demo.generator``; the traffic shapes are in ``shared.demo.shapes``).
- ``load_demo(user_id, rows=20000, seed=7, end=None, days=30)``: checks and
  prices the rows through the importer's own path (``tokenwise`` parser,
  ``Pricer``, ``BatchWriter``) and stores them for ``user_id``; request ids are
  ``demo-<seed>-<n>``, so loading twice stores nothing twice.
- ``ensure_demo_user(email, password)``: the demo account, created when missing.
- ``write_rows(rows, out, fmt)``: the same rows as an importable CSV or JSON Lines file.

CLI: ``python -m shared.demo --user-email demo@tokenwise.dev --rows 20000 --seed 7 --days 30``
(see ``python -m shared.demo --help``). The demo account's password is
``DEMO_PASSWORD`` (``spend-less-2026``) unless ``--password`` or
``TOKENWISE_DEMO_PASSWORD`` gives another.
"""
from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from datetime import datetime
from typing import IO

from shared.clock import utcnow
from shared.demo.generator import generate_rows

DEFAULT_ROWS = 20_000
DEFAULT_SEED = 7
DEFAULT_DAYS = 30
DEMO_EMAIL = "demo@tokenwise.dev"
DEMO_PASSWORD = "spend-less-2026"
FILE_COLUMNS = ("request_id", "timestamp", "provider", "model", "feature", "prompt_tokens",
                "completion_tokens", "cached_tokens", "latency_ms", "status", "cost_usd", "prompt_hash",
                "max_tokens", "is_batch", "cache_write_tokens", "end_user")


def demo_password() -> str:
    return os.environ.get("TOKENWISE_DEMO_PASSWORD") or DEMO_PASSWORD


def ensure_demo_user(email: str = DEMO_EMAIL, password: str | None = None) -> tuple[str, bool]:
    """``(user_id, created)`` for the account ``email``; an existing account keeps its password."""
    from shared.auth.accounts import find_user_by_email, insert_user
    from shared.auth.passwords import hash_password
    from shared.db import transaction
    with transaction() as conn:
        user = find_user_by_email(conn, email)
        if user is not None:
            return user.id, False
        user = insert_user(conn, email, "Demo", hash_password(password or demo_password()), utcnow())
        return user.id, True


def load_demo(user_id: str, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, end: datetime | None = None,
              days: int = DEFAULT_DAYS, *, replace: bool = False) -> dict:
    """Store ``rows`` demo records for ``user_id``; returns ``{rows, imported, duplicates, deleted, ...}``."""
    from shared.db import transaction
    from shared.usage import BatchWriter, Pricer, delete_records
    from shared.usage.formats import tokenwise
    from shared.usage.importer import batch_rows
    from shared.usage.records import RowCheck

    deleted = 0
    if replace:
        with transaction() as conn:
            deleted = delete_records(conn, user_id)
    now = utcnow()
    per_batch = batch_rows()
    writer, pricer, count = BatchWriter(user_id, now), Pricer(), 0
    batch = writer.new_batch()
    try:
        for count, row in enumerate(generate_rows(rows, seed, end, days), start=1):
            check = RowCheck()
            record = tokenwise.parse(row, check, pricer)
            if record is None:  # the generator and the checks disagree: a bug to see, not to skip
                raise ValueError(f"demo row {count} fails its checks: {check.problems}")
            batch.add(record._replace(source_format="demo"))
            if len(batch) >= per_batch:
                writer.submit(batch, count)
                batch = writer.new_batch()
        writer.submit(batch, count)
        writer.close()
    finally:
        writer.abandon()
    return {"rows": count, "imported": writer.inserted, "duplicates": writer.duplicates, "deleted": deleted,
            "seed": seed, "days": days, "cost_sources": dict(pricer.sources),
            "unpriced_models": dict(pricer.unpriced_models)}


def write_rows(rows: Iterable[dict], out: IO[str], fmt: str = "jsonl") -> int:
    """Write ``rows`` to ``out`` as ``jsonl`` or ``csv`` in our import format; returns the count."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(FILE_COLUMNS)
        for row in rows:
            writer.writerow(["" if row[name] is None else row[name] for name in FILE_COLUMNS])
            count += 1
        return count
    if fmt != "jsonl":
        raise ValueError(f"unknown file format {fmt!r}; use jsonl or csv")
    dumps = json.dumps
    for row in rows:
        out.write(dumps(row, separators=(",", ":")))
        out.write("\n")
        count += 1
    return count


__all__ = ["DEFAULT_ROWS", "DEMO_EMAIL", "DEMO_PASSWORD", "ensure_demo_user", "generate_rows", "load_demo",
           "write_rows"]
