"""Typed unavailability, and the memory of the last failure that spares a down server.

``DatabaseUnavailable`` is what every unit maps to HTTP 503. ``breaker``
remembers the last failure and when the server may be tried again; requests
(``shared.db.engine``) and the health probe (``shared.db.status``) share it, so
a failure either one sees pauses both, and a success either one sees clears it.
Option: ``DB_BACKOFF_MAX_S`` (default 10), the longest pause between attempts.
"""
from __future__ import annotations

import threading
import time

from shared import config
from shared.db import failures
from shared.db.target import connect_timeout_s
from shared.errors import ServiceUnavailable
from shared.logging import get_logger

log = get_logger("db")


def backoff_s(failures: int) -> float:
    """The pause after ``failures`` failures in a row: 0.25 s, doubling, at most ``DB_BACKOFF_MAX_S``."""
    return min(config.env_float("DB_BACKOFF_MAX_S", 10.0), 0.25 * 2 ** (failures - 1))


class DatabaseUnavailable(ServiceUnavailable):
    """The database cannot be reached or is not set up; every unit answers 503."""
    code = "database_unavailable"

    def __init__(self, reason: str):
        super().__init__("The database is unavailable.", {"reason": reason})
        self.reason = reason


class Breaker:
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
            self.retry_at = now + 2 * connect_timeout_s() + 1
            return True

    def failed(self, reason: str, trial: bool) -> None:
        with self.lock:
            if self.error is not None and not trial:
                self.error = reason  # a call admitted before the first failure: same outage
                return
            self.failures += 1
            self.error = reason
            pause = backoff_s(self.failures)
            self.retry_at = time.monotonic() + pause
        log.warning("database unavailable", extra={"fields": {"reason": reason, "retry_in_s": pause}})

    def abandon(self, trial: bool) -> None:
        """The trial learned nothing (the server was busy): let the next caller try."""
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

    def connect_failed(self, exc: BaseException, trial: bool) -> DatabaseUnavailable:
        """Record a failure to connect; the error to raise in its place."""
        reason = failures.short(exc)
        if failures.connect_failure(exc) == failures.BUSY:
            self.abandon(trial)
        else:
            self.failed(reason, trial)
        return DatabaseUnavailable(reason)

    def use_failed(self, exc: BaseException) -> DatabaseUnavailable | None:
        """Record a failure on a live connection; ``None`` when it is a bug, not unavailability."""
        kind = failures.in_use_failure(exc)
        if kind is None:
            return None
        reason = failures.short(exc, in_use=True)
        if kind == failures.DOWN:
            self.failed(reason, trial=False)
        return DatabaseUnavailable(reason)


breaker = Breaker()
