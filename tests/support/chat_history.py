"""What the chat stored, read straight from the active database: runs, their events, thread messages.

``run_row(run_id)`` is the run's row (None before it exists), ``run_status(run_id)`` its status;
``stored_events(run_id)`` the run's event bodies in order; ``stored_messages(thread_id)`` the thread's
messages, oldest first.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from shared.db import transaction
from shared.db.schema import messages, run_events, runs


def run_row(run_id: str) -> dict | None:
    with transaction() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).one_or_none()
    return None if row is None else dict(row._mapping)


def run_status(run_id: str) -> str | None:
    row = run_row(run_id)
    return None if row is None else row["status"]


def stored_events(run_id: str) -> list[dict]:
    with transaction() as conn:
        bodies = conn.execute(select(run_events.c.body).where(run_events.c.run_id == run_id)
                              .order_by(run_events.c.seq)).scalars().all()
    return [json.loads(body) for body in bodies]


def stored_messages(thread_id: str) -> list[dict]:
    with transaction() as conn:
        rows = conn.execute(select(messages).where(messages.c.thread_id == thread_id)
                            .order_by(messages.c.created_at)).all()
    return [dict(row._mapping) for row in rows]
