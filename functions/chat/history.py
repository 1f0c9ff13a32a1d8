"""Chat persistence: idempotent writes (which the outbox can replay) and user-scoped reads.

Every write is a ``Write`` applied in one short transaction; ``Write.apply``
with ``idempotent=True`` skips rows that already exist, so a batch replayed
after a lost commit acknowledgement does no harm. Every read takes the
caller's ``user_id``: another user's thread or run is indistinguishable from
a missing one. Timestamps are naive UTC and strictly increasing within a
process, so messages written in the same microsecond still sort in order.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, insert, select, update

from shared.clock import utc_iso, utcnow
from shared.db import transaction
from shared.db.schema import messages, run_events, runs, threads

_clock_lock = threading.Lock()
_last_now = datetime.min


def utc_now() -> datetime:
    """Naive UTC now, strictly after the previous call in this process."""
    global _last_now
    now = utcnow()
    with _clock_lock:
        if now <= _last_now:
            now = _last_now + timedelta(microseconds=1)
        _last_now = now
    return now


@dataclass(frozen=True)
class Write:
    """One row to insert (``table``) or one run to update (``update_run``), replayable."""
    kind: str  # "thread" | "message" | "run" | "event" | "run_update"
    row: dict[str, Any] = field(default_factory=dict)

    def apply(self, conn, idempotent: bool) -> None:
        if self.kind == "run_update":
            values = {k: v for k, v in self.row.items() if k != "id"}
            conn.execute(update(runs).where(runs.c.id == self.row["id"]).values(**values))
            return
        table, key = _TABLES[self.kind]
        if idempotent:
            clause = and_(*(table.c[name] == self.row[name] for name in key))
            if conn.execute(select(func.count()).select_from(table).where(clause)).scalar_one():
                return
        conn.execute(insert(table).values(**self.row))
        if self.kind == "message":
            conn.execute(update(threads).where(threads.c.id == self.row["thread_id"])
                         .values(updated_at=self.row["created_at"]))

    def ids(self) -> dict[str, Any]:
        """The user, thread, run and message (and event number) this write is about, for a log line."""
        own = {"thread": "thread_id", "message": "message_id", "run": "run_id", "run_update": "run_id"}
        found = {name: self.row[name] for name in ("user_id", "thread_id", "run_id", "message_id", "seq")
                 if self.row.get(name) is not None}
        if self.kind in own:
            found[own[self.kind]] = self.row["id"]
        return found


_TABLES = {
    "thread": (threads, ("id",)),
    "message": (messages, ("id",)),
    "run": (runs, ("id",)),
    "event": (run_events, ("run_id", "seq")),
}


def thread_write(thread_id: str, user_id: str, title: str) -> Write:
    now = utc_now()
    return Write("thread", {"id": thread_id, "user_id": user_id, "title": title[:200],
                            "created_at": now, "updated_at": now})


def message_write(message_id: str, thread_id: str, user_id: str, role: str, content: str, *,
                  run_id: str | None = None, client_message_id: str | None = None,
                  structured: dict | None = None) -> Write:
    return Write("message", {
        "id": message_id, "thread_id": thread_id, "user_id": user_id, "role": role, "content": content,
        "structured": None if structured is None else json.dumps(structured, default=str),
        "run_id": run_id, "client_message_id": client_message_id, "created_at": utc_now()})


def run_write(run_id: str, thread_id: str, user_id: str, message_id: str, status: str) -> Write:
    return Write("run", {"id": run_id, "thread_id": thread_id, "user_id": user_id, "message_id": message_id,
                         "status": status, "created_at": utc_now()})


def run_update(run_id: str, status: str, *, started: bool = False, finished: bool = False,
               error: str | None = None) -> Write:
    row: dict[str, Any] = {"id": run_id, "status": status}
    if started:
        row["started_at"] = utc_now()
    if finished:
        row["finished_at"] = utc_now()
    if error is not None:
        row["error"] = error[:300]
    return Write("run_update", row)


def event_write(event: dict[str, Any], seq: int) -> Write:
    return Write("event", {"run_id": event["run_id"], "seq": seq, "type": event["type"],
                           "agent": event["agent"], "created_at": utc_now(),
                           "body": json.dumps(event, default=str)})


class ThreadOwners:
    """A bounded memory of which user owns which thread, so a thread stays usable while the DB is down."""

    def __init__(self, capacity: int = 10000):
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()

    def remember(self, thread_id: str, user_id: str) -> None:
        with self._lock:
            self._owners[thread_id] = user_id
            self._owners.move_to_end(thread_id)
            while len(self._owners) > self._capacity:
                self._owners.popitem(last=False)

    def get(self, thread_id: str) -> str | None:
        with self._lock:
            return self._owners.get(thread_id)

    def forget(self, thread_id: str) -> None:
        with self._lock:
            self._owners.pop(thread_id, None)


def thread_owner(thread_id: str) -> str | None:
    """The owner of a thread, None when it does not exist; ``DatabaseUnavailable`` when the DB is down."""
    with transaction() as conn:
        return conn.execute(select(threads.c.user_id).where(threads.c.id == thread_id)).scalar_one_or_none()


def _thread_dict(row) -> dict[str, Any]:
    return {"id": row.id, "title": row.title, "created_at": utc_iso(row.created_at),
            "updated_at": utc_iso(row.updated_at)}


def list_threads(user_id: str, limit: int) -> list[dict[str, Any]]:
    """The user's threads, most recently active first."""
    query = (select(threads).where(threads.c.user_id == user_id)
             .order_by(threads.c.updated_at.desc(), threads.c.created_at.desc(), threads.c.id).limit(limit))
    with transaction() as conn:
        return [_thread_dict(row) for row in conn.execute(query)]


def _message_dict(row) -> dict[str, Any]:
    return {"id": row.id, "role": row.role, "content": row.content,
            "structured": None if row.structured is None else json.loads(row.structured),
            "run_id": row.run_id, "client_message_id": row.client_message_id,
            "created_at": utc_iso(row.created_at)}


def thread_with_messages(user_id: str, thread_id: str) -> dict[str, Any] | None:
    """``{thread, messages}`` in order, or None when the user has no such thread."""
    with transaction() as conn:
        thread = conn.execute(select(threads).where(threads.c.id == thread_id,
                                                    threads.c.user_id == user_id)).one_or_none()
        if thread is None:
            return None
        rows = conn.execute(select(messages).where(messages.c.thread_id == thread_id,
                                                   messages.c.user_id == user_id)
                            .order_by(messages.c.created_at, messages.c.id))
        return {"thread": _thread_dict(thread), "messages": [_message_dict(row) for row in rows]}


def delete_thread(user_id: str, thread_id: str) -> bool:
    """Delete the user's thread with its messages, runs and events; False when there is none."""
    with transaction() as conn:
        owned = conn.execute(select(threads.c.id).where(threads.c.id == thread_id,
                                                        threads.c.user_id == user_id)).one_or_none()
        if owned is None:
            return False
        run_ids = select(runs.c.id).where(runs.c.thread_id == thread_id).scalar_subquery()
        # Explicit deletes: the cascade also exists in the schema, but must not depend on SQLite pragmas.
        conn.execute(delete(run_events).where(run_events.c.run_id.in_(run_ids)))
        conn.execute(delete(runs).where(runs.c.thread_id == thread_id))
        conn.execute(delete(messages).where(messages.c.thread_id == thread_id))
        conn.execute(delete(threads).where(threads.c.id == thread_id))
    return True


def run_record(user_id: str, run_id: str) -> dict[str, Any] | None:
    """``{id, thread_id, status}`` of the user's run, or None."""
    with transaction() as conn:
        row = conn.execute(select(runs.c.id, runs.c.thread_id, runs.c.status)
                           .where(runs.c.id == run_id, runs.c.user_id == user_id)).one_or_none()
    return None if row is None else {"id": row.id, "thread_id": row.thread_id, "status": row.status}


def events_after(run_id: str, after_seq: int) -> list[dict[str, Any]]:
    """The run's stored events with a sequence number above ``after_seq``, in order."""
    with transaction() as conn:
        rows = conn.execute(select(run_events.c.body).where(run_events.c.run_id == run_id,
                                                            run_events.c.seq > after_seq)
                            .order_by(run_events.c.seq))
        return [json.loads(body) for (body,) in rows]
