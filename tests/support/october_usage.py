"""A month of known usage (October 2026) written straight into ``usage_records``: every figure adds up by hand.

``NOW`` is the moment every question about it is asked, ``OCTOBER`` its time range;
``october_records(user)`` the rows, ``record(user, n, when, **fields)`` one row, ``insert_records(rows)``
writes rows in batches. ``october_owner()`` is a new user holding the whole month with its rollups
refreshed: the session fixtures write one per backend, which every test that reads the month shares.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from shared.db import transaction
from shared.db.schema import usage_records
from shared.usage.rollups import refresh_if_dirty
from tests.support.users import User, create_user

NOW = datetime(2026, 11, 1, 12, 0, 0)  # every test question is asked at this moment
OCTOBER = {"start": "2026-10-01", "end": "2026-11-01"}


def record(user: User, n: int, when: datetime, **fields) -> dict:
    row = {"user_id": user.id, "request_id": f"{user.id[:8]}-{n}", "timestamp": when, "provider": "openai",
           "model": "gpt-4o", "feature": "chat", "prompt_tokens": 1000, "completion_tokens": 200,
           "cached_tokens": 0, "cache_write_tokens": 0, "latency_ms": 900, "status": "success",
           "cost_usd": 0.0045, "cost_source": "reported", "is_batch": False, "max_tokens": None,
           "prompt_hash": None, "end_user": None, "request_count": 1, "source_format": "tokenwise",
           "imported_at": datetime(2026, 11, 1)}
    row.update(fields)
    return row


def insert_records(rows: list[dict]) -> None:
    with transaction() as conn:
        for start in range(0, len(rows), 1000):
            conn.execute(insert(usage_records), rows[start:start + 1000])


def october_records(user: User) -> list[dict]:
    """A month of known traffic with known costs (every figure is easy to add up by hand).

    - chat on gpt-4o: 20 a day for 31 days = 620 records at $0.0045 (= $2.79); every prompt is
      one of 5 hashes, so most are exact repeats;
    - classify on gpt-4o: 10 a day = 310 records at $0.0030 (= $0.93), outputs of 20 tokens
      with max_tokens 4,096;
    - summarise on gpt-4o-mini: 5 a day = 155 records at $0.0006 (= $0.093), slow (40 s);
    total 1,085 records, $3.813.
    """
    rows, n = [], 0
    for day in range(31):
        base = datetime(2026, 10, 1) + timedelta(days=day)
        for i in range(20):
            n += 1
            rows.append(record(user, n, base + timedelta(hours=9, minutes=i * 3), prompt_hash=f"hash-{i % 5}"))
        for i in range(10):
            n += 1
            rows.append(record(user, n, base + timedelta(hours=14, minutes=i * 5), feature="classify",
                               prompt_tokens=800, completion_tokens=20, cost_usd=0.0030, max_tokens=4096,
                               latency_ms=400, prompt_hash=f"classify-{n}"))
        for i in range(5):
            n += 1
            rows.append(record(user, n, base + timedelta(hours=2, minutes=i), feature="summarise",
                               model="gpt-4o-mini", prompt_tokens=3000, completion_tokens=250,
                               cost_usd=0.0006, latency_ms=40_000, prompt_hash=f"summary-{n}"))
    return rows


def october_owner() -> User:
    owner = create_user("october")
    insert_records(october_records(owner))
    # as an import would: every reader then finds the same rollups, whichever test runs first
    refresh_if_dirty(owner.id)
    return owner
