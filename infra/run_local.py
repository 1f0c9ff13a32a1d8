"""``python -m infra.run_local``: what ``make run`` does: migrate, make sure the demo account has data, serve.

Steps: migrate ``DATABASE_URL`` (SQLite in ``TOKENWISE_DATA_DIR`` by default) to
the newest revision; create the demo account when missing and load its demo
usage when it has none (a second run adds nothing); print the URL and the demo
login; then start the local stack (``infra.local_stack``) in this process.

Options: ``--host``, ``--port`` (``PORT`` or 8080; 0 picks a free one), ``--parity``,
``--manifest`` (passed to the stack); ``--demo-rows`` (``TOKENWISE_DEMO_ROWS`` or
20000; 0 loads none), ``--demo-email`` (demo@tokenwise.dev), ``--demo-days`` (30).
The demo password is ``TOKENWISE_DEMO_PASSWORD`` or the documented default.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

from infra.local_stack import default_port
from shared.demo import DEFAULT_DAYS, DEFAULT_ROWS, DEMO_EMAIL, DEMO_PASSWORD


def user_record_count(user_id: str) -> int:
    from sqlalchemy import func, select

    from shared.db import transaction
    from shared.db.schema import usage_records
    with transaction() as conn:
        return conn.execute(select(func.count()).select_from(usage_records)
                            .where(usage_records.c.user_id == user_id)).scalar_one()


def prepare(email: str, rows: int, days: int) -> dict:
    """Migrate, then the demo account and its records; returns what was done."""
    from shared.db.migrate import upgrade
    from shared.demo import ensure_demo_user, load_demo
    started = time.perf_counter()
    upgrade()
    user_id, created = ensure_demo_user(email)
    existing = user_record_count(user_id)
    loaded = load_demo(user_id, rows=rows, days=days)["imported"] if rows and not existing else 0
    return {"user_id": user_id, "user_created": created, "records_before": existing, "records_loaded": loaded,
            "seconds": round(time.perf_counter() - started, 2)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m infra.run_local", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port())
    parser.add_argument("--parity", action="store_true")
    parser.add_argument("--manifest", default=None)
    parser.add_argument("--demo-rows", type=int, default=int(os.environ.get("TOKENWISE_DEMO_ROWS", DEFAULT_ROWS)))
    parser.add_argument("--demo-email", default=DEMO_EMAIL)
    parser.add_argument("--demo-days", type=int, default=DEFAULT_DAYS)
    args = parser.parse_args(argv)
    if args.demo_rows < 0 or args.demo_days < 1:
        parser.error("--demo-rows must be >= 0 and --demo-days >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from shared.db import DatabaseUnavailable
    try:
        done = prepare(args.demo_email, args.demo_rows, args.demo_days)
    except DatabaseUnavailable as exc:  # a reason to act on, not a stack trace
        print(f"cannot prepare the database: {exc.reason}", file=sys.stderr)
        return 1
    print(json.dumps({"severity": "INFO", "message": "database ready", "logger": "tokenwise.run_local", **done}),
          flush=True)
    # The demo account's password is public (README); one set through the environment is not echoed.
    password = DEMO_PASSWORD if not os.environ.get("TOKENWISE_DEMO_PASSWORD") else "$TOKENWISE_DEMO_PASSWORD"
    if args.port:  # with port 0 the stack announces the port it got
        print(f"Tokenwise: http://localhost:{args.port}/", flush=True)
    print(f"Demo login: {args.demo_email} / {password}", flush=True)
    from infra import local_stack
    stack_args = ["--host", args.host, "--port", str(args.port)]
    if args.parity:
        stack_args.append("--parity")
    if args.manifest:
        stack_args += ["--manifest", args.manifest]
    return local_stack.main(stack_args)


if __name__ == "__main__":
    sys.exit(main())
