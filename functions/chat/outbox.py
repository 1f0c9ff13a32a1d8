"""Every chat write, in order, through one writer thread: batched, and kept in memory while the DB is down.

``Outbox.write(w, on_deferred)`` queues a ``history.Write`` and returns at once
with its sequence number, so neither a socket nor a pipeline ever waits for
the database (a pipeline that holds a pooled connection while it emits an event
cannot deadlock on a second one). The writer applies the queue in FIFO order,
up to ``batch_size`` writes per transaction, with one connection.

When the database is unavailable the queue simply waits (``outage``): each
queued write's ``on_deferred`` is called once, so that the user can be told
history is not being saved, and the writer retries every ``flush_interval_s``.
``wait(seq)`` lets a caller block until a write is stored — or learn that it
is deferred. ``epoch`` counts outages, so a notice can be sent once per outage.
After a failure the next batch is replayed idempotently, in case a commit
succeeded whose acknowledgement was lost. The queue is bounded by
``max_items``: writes beyond it are dropped, counted and logged, never silently. A write the
database refuses (a constraint, a value it cannot store) is found by replaying the batch one write
at a time; it alone is dropped, counted and logged with its ids and the database's reason.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from functions.chat.history import Write
from shared.db import DatabaseUnavailable, transaction
from shared.logging import get_logger

log = get_logger("chat.outbox")
MAX_REASON_CHARS = 300


def refusal(exc: SQLAlchemyError) -> str:
    """The database's own reason for refusing a statement, without the statement or its parameters."""
    detail = (getattr(getattr(exc, "orig", None), "args", None) or (type(exc).__name__,))[0]
    if isinstance(detail, dict):  # pg8000 hands over the server's error fields: code and message
        return f"{detail.get('C', '')} {detail.get('M', '')}".strip()[:MAX_REASON_CHARS]
    return str(detail)[:MAX_REASON_CHARS]


@dataclass
class _Entry:
    seq: int
    item: Write
    on_deferred: Callable[[], None] | None
    told: bool = False


class Outbox:
    def __init__(self, max_items: int = 10000, flush_interval_s: float = 1.0, batch_size: int = 200):
        self.max_items = max_items
        self.flush_interval_s = flush_interval_s
        self.batch_size = batch_size
        self.epoch = 0
        self.dropped = 0
        self.written = 0
        self.outage = False
        self._queue: deque[_Entry] = deque()
        self._next_seq = 0
        self._done_seq = 0  # every write up to this one is stored (or was dropped)
        self._suspect = False  # the last batch failed: replay the next one idempotently
        self._cond = threading.Condition()
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def pending(self) -> int:
        return len(self._queue)

    @property
    def last_seq(self) -> int:
        """The sequence number of the latest write queued so far."""
        return self._next_seq

    def write(self, item: Write, on_deferred: Callable[[], None] | None = None) -> int:
        """Queue a write; its sequence number, or -1 when the queue is full and it was dropped."""
        with self._cond:
            if len(self._queue) >= self.max_items:
                self.dropped += 1
                log.error("chat outbox full: write dropped", extra={"fields": {"kind": item.kind,
                                                                               "dropped": self.dropped}})
                seq = -1
            else:
                self._next_seq += 1
                seq = self._next_seq
                entry = _Entry(seq, item, on_deferred, told=self.outage)
                self._queue.append(entry)
                self._cond.notify_all()
            tell_now = on_deferred is not None and (self.outage or seq == -1)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="chat-writer", daemon=True)
                self._thread.start()
        if tell_now and on_deferred is not None:
            on_deferred()
        return seq

    def wait(self, seq: int, timeout_s: float) -> bool:
        """True once write ``seq`` is stored; False if it waits for the database, was dropped, or time ran out."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while seq > 0 and self._done_seq < seq and not self.outage:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return seq > 0 and self._done_seq >= seq

    def drain(self, timeout_s: float) -> int:
        """Wait for the queue to empty; the number of writes still pending (logged as lost)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue and time.monotonic() < deadline:
                self._cond.wait(min(0.1, max(0.0, deadline - time.monotonic())))
            left = len(self._queue)
        if left:
            log.error("chat writes lost at shutdown: the database stayed unavailable",
                      extra={"fields": {"pending": left}})
        return left

    def stop(self) -> None:
        self._stopped.set()
        with self._cond:
            self._cond.notify_all()

    def status(self) -> dict:
        body: dict[str, object] = {"ok": not self.outage, "pending": len(self._queue), "dropped": self.dropped,
                "written": self.written}
        if self.outage:
            body["error"] = f"{len(self._queue)} chat writes wait for the database"
        return body

    # --- the writer ----------------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopped.is_set():
            with self._cond:
                while not self._queue and not self._stopped.is_set():
                    self._cond.wait()
                batch = [self._queue[i] for i in range(min(self.batch_size, len(self._queue)))]
            if not batch:
                return
            if self._apply(batch):
                self._done(batch)
            else:
                self._defer()
                self._stopped.wait(self.flush_interval_s)

    def _apply(self, batch: list[_Entry]) -> bool:
        """Store the batch in one transaction; False when the database is unavailable."""
        try:
            with transaction() as conn:
                for entry in batch:
                    entry.item.apply(conn, idempotent=self._suspect)
            return True
        except DatabaseUnavailable:
            return False
        except SQLAlchemyError:  # a write the database refuses: find it, keep the others
            for entry in batch:
                try:
                    with transaction() as conn:
                        entry.item.apply(conn, idempotent=True)
                except DatabaseUnavailable:
                    return False
                except SQLAlchemyError as exc:
                    with self._cond:
                        self.dropped += 1
                    # No stack trace: the statement's parameters in it would put the user's text in the logs.
                    log.error("chat write refused by the database: dropped", extra={"fields": {
                        "kind": entry.item.kind, **entry.item.ids(), "reason": refusal(exc),
                        "dropped": self.dropped}})
            return True

    def _done(self, batch: list[_Entry]) -> None:
        with self._cond:
            for _ in batch:
                self._queue.popleft()
            self._done_seq = batch[-1].seq
            self.written += len(batch)
            recovered, self.outage, self._suspect = self.outage, False, False
            self._cond.notify_all()
        if recovered:
            log.info("database back: queued chat writes stored", extra={"fields": {"epoch": self.epoch}})

    def _defer(self) -> None:
        with self._cond:
            if not self.outage:
                self.outage = True
                self.epoch += 1
                log.warning("database unavailable: chat writes are kept in memory",
                            extra={"fields": {"epoch": self.epoch, "pending": len(self._queue)}})
            self._suspect = True
            untold = [entry for entry in self._queue if not entry.told]
            for entry in untold:
                entry.told = True
            self._cond.notify_all()
        for entry in untold:
            if entry.on_deferred is not None:
                entry.on_deferred()
