"""``python -m shared.demo``: load deterministic demo usage for a demo user, or write it to a file.

Examples::

    python -m shared.demo --user-email demo@tokenwise.dev --rows 20000 --seed 7 --days 30
    python -m shared.demo --rows 1000000 --out demo.jsonl          # a file to POST to /api/usage/import

Options: ``--user-email`` (demo@tokenwise.dev), ``--password`` (for a new
account; default ``TOKENWISE_DEMO_PASSWORD`` or ``spend-less-2026``),
``--rows`` (20000), ``--seed`` (7), ``--days`` (30), ``--end`` (ISO 8601 UTC; default now),
``--replace`` (delete the user's records first), ``--out PATH`` and ``--format jsonl|csv``
(write a file instead of the database). The database is ``DATABASE_URL``,
migrated beforehand (``python -m shared.db.migrate``).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime

from shared.demo import (
    DEFAULT_DAYS,
    DEFAULT_ROWS,
    DEFAULT_SEED,
    DEMO_EMAIL,
    ensure_demo_user,
    generate_rows,
    load_demo,
    write_rows,
)


def _end(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m shared.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--user-email", default=DEMO_EMAIL)
    parser.add_argument("--password", default=None)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    parser.add_argument("--end", type=_end, default=None, help="end of the window (exclusive), ISO 8601")
    parser.add_argument("--replace", action="store_true", help="delete the user's records first")
    parser.add_argument("--out", default=None, help="write rows to this file instead of the database")
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    args = parser.parse_args(argv)
    if args.rows < 0 or args.days < 1:
        parser.error("--rows must be >= 0 and --days >= 1")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="") as out:
            count = write_rows(generate_rows(args.rows, args.seed, args.end, args.days), out, args.format)
        result = {"written": count, "path": args.out, "format": args.format}
    else:
        user_id, created = ensure_demo_user(args.user_email, args.password)
        result = {"user_email": args.user_email, "user_id": user_id, "user_created": created,
                  **load_demo(user_id, args.rows, args.seed, args.end, args.days, replace=args.replace)}
    result["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
