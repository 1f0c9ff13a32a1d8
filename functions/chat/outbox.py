"""Writes that survive a database outage: tried at once, else kept in order in memory and replayed.

``Outbox.write(w)`` applies a ``store.Write`` in its own transaction and
returns True, or — when the database is unavailable, or earlier writes are
still waiting — queues it and returns False (the caller tells the user that
history is not being saved). A background thread replays the queue in FIFO
order, in batches, every ``flush_interval_s`` until it is empty. ``epoch``
counts outages (empty → non-empty), so a notice can be sent once per outage.

Options: ``max_items`` (writes beyond it are dropped and counted, never
silently: health shows ``dropped``), ``flush_interval_s``, ``batch_size``.
"""
from __future__ import annotations

import threading
import time
from collections import deque

from sqlalchemy.exc import SQLAlchemyError

from functions.chat.store import Write
from shared.db import DatabaseUnavailable, transaction
from shared.logging import get_logger

log = get_logger("chat.outbox")


class Outbox:
    def __init__(self, max_items: int = 10000, flush_interval_s: float = 1.0, batch_size: int = 200):
        self.max_items = max_items
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        self.epoch = 0
        self.dropped = 0
        self.flushed = 0
        self._pending: deque[Write] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def write(self, item: Write) -> bool:
        """True when written now; False when queued (or, for a write the database refuses, dropped)."""
        with self._lock:
            if self._pending:  # keep order: nothing may overtake a queued write
                self._enqueue(item)
                return False
        try:
            with transaction() as conn:
                item.apply(conn, idempotent=False)
            return True
        except DatabaseUnavailable:
            with self._lock:
                self._enqueue(item)
            return False
        except SQLAlchemyError:
            log.exception("chat write refused by the database", extra={"fields": {"kind": item.kind}})
            return False

    def _enqueue(self, item: Write) -> None:
        if len(self._pending) >= self.max_items:
            self.dropped += 1
            log.error("chat outbox full: write dropped",
                      extra={"fields": {"kind": item.kind, "dropped": self.dropped}})
            return
        if not self._pending:
            self.epoch += 1
            log.warning("database unavailable: chat writes are kept in memory",
                        extra={"fields": {"epoch": self.epoch}})
        self._pending.append(item)
        self._ensure_thread()
        self._wake.set()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="chat-outbox", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.flush_interval_s)
            self._wake.clear()
            if self._pending:
                self.flush_once()
            elif self._stopped.is_set():
                return

    def flush_once(self) -> int:
        """Replay up to one batch; the number of writes taken off the queue."""
        with self._lock:
            batch = [self._pending[i] for i in range(min(self.batch_size, len(self._pending)))]
        if not batch:
            return 0
        try:
            with transaction() as conn:
                for item in batch:
                    item.apply(conn, idempotent=True)
            done = len(batch)
        except DatabaseUnavailable:
            return 0
        except SQLAlchemyError:
            done = self._replay_one_by_one(batch)
        with self._lock:
            for _ in range(done):
                self._pending.popleft()
            left = len(self._pending)
        self.flushed += done
        if done and not left:
            log.info("chat outbox flushed", extra={"fields": {"epoch": self.epoch, "flushed": self.flushed}})
        return done

    def _replay_one_by_one(self, batch: list[Write]) -> int:
        """A batch the database refused: keep what it accepts, drop (and log) what it never will."""
        done = 0
        for item in batch:
            try:
                with transaction() as conn:
                    item.apply(conn, idempotent=True)
            except DatabaseUnavailable:
                break
            except SQLAlchemyError:
                self.dropped += 1
                log.exception("chat outbox write refused by the database: dropped",
                              extra={"fields": {"kind": item.kind}})
            done += 1
        return done

    def drain(self, timeout_s: float) -> int:
        """Try to empty the queue before shutting down; the number of writes still pending."""
        deadline = time.monotonic() + timeout_s
        while self._pending and time.monotonic() < deadline:
            if not self.flush_once():
                time.sleep(0.1)
        if self._pending:
            log.error("chat writes lost at shutdown: the database stayed unavailable",
                      extra={"fields": {"pending": len(self._pending)}})
        return len(self._pending)

    def stop(self) -> None:
        self._stopped.set()
        self._wake.set()

    def status(self) -> dict:
        pending = len(self._pending)
        return {"ok": pending == 0, "pending": pending, "dropped": self.dropped, "flushed": self.flushed,
                **({"error": f"{pending} chat writes wait for the database"} if pending else {})}
