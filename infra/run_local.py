"""``python -m infra.run_local``: what ``make run`` does: migrate, make sure the demo account has data, serve.

Steps: migrate ``DATABASE_URL`` (SQLite in ``TOKENWISE_DATA_DIR`` by default) to
the newest revision; create the demo account when missing and load its demo
usage when it has none (a second run adds nothing); print the URL and the demo
login; then start the local stack (``infra.local_stack``) in this process.

When the database cannot be reached the stack serves all the same: every unit
answers as it does without its database (503 ``database_unavailable`` where it
needs one), and ``/health`` says ``degraded`` with the reason under
``database_setup``. The setup is retried in the background, with the database
layer's backoff (``DB_BACKOFF_MAX_S``), until it has run; ``/health`` then turns
healthy without a restart.

Options: ``--host``, ``--port`` (``PORT`` or 8080; 0 picks a free one), ``--parity``,
``--manifest`` (passed to the stack); ``--demo-rows`` (``TOKENWISE_DEMO_ROWS`` or
20000; 0 loads none), ``--demo-email`` (demo@tokenwise.dev), ``--demo-days`` (30).
The demo password is ``TOKENWISE_DEMO_PASSWORD`` or the documented default.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time

from infra.local_stack import default_port
from shared.demo import DEFAULT_DAYS, DEFAULT_ROWS, DEMO_EMAIL, DEMO_PASSWORD
from shared.logging import get_logger

log = get_logger("run_local")


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


class DatabaseSetup:
    """``prepare`` until it has run: at once, then, while the database is down, in the background.

    ``check()`` is a health check for the stack: failing, with the last reason, until then.
    """

    NAME = "database_setup"

    def __init__(self, email: str, rows: int, days: int):
        self.email, self.rows, self.days = email, rows, days
        self.done: dict | None = None
        self.error: str | None = None
        self.failures = 0
        self._stop = threading.Event()

    def attempt(self) -> bool:
        from shared.db import DatabaseUnavailable
        from shared.db.breaker import backoff_s
        try:
            done = prepare(self.email, self.rows, self.days)
        except DatabaseUnavailable as exc:
            self.failures += 1
            self.error = exc.reason
            # The first failure is the news; the retries after it are routine until one works.
            (log.warning if self.failures == 1 else log.info)(
                "database not ready: serving degraded, setup retried", extra={"fields": {
                    "reason": exc.reason, "attempts": self.failures, "retry_in_s": backoff_s(self.failures)}})
            return False
        self.done, self.error = done, None
        log.info("database ready", extra={"fields": done})
        return True

    def retry_in_background(self) -> threading.Thread:
        from shared.db.breaker import backoff_s

        def retry() -> None:
            while not self._stop.wait(backoff_s(self.failures)):
                try:
                    if self.attempt():
                        return
                except Exception as exc:  # a bug, not an outage: logged with its stack, tried again later
                    self.failures += 1
                    self.error = f"{type(exc).__name__}: {exc}"
                    log.exception("database setup failed", extra={"fields": {"attempts": self.failures}})

        thread = threading.Thread(target=retry, name="database-setup", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> dict:
        if self.done is not None:
            return {"ok": True}
        return {"ok": False, "error": f"migrations and demo data wait for the database ({self.error}); retrying"}


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
    setup = DatabaseSetup(args.demo_email, args.demo_rows, args.demo_days)
    if not setup.attempt():
        setup.retry_in_background()
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
    try:
        return local_stack.main(stack_args, checks={DatabaseSetup.NAME: setup.check})
    finally:
        setup.stop()


if __name__ == "__main__":
    sys.exit(main())
