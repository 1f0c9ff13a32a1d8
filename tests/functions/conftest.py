"""Fixtures for the agent functions: users with tokens, usage records inserted with SQL, app clients."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import functions_framework
import pytest
from sqlalchemy import insert

from shared.auth import issue_access_token
from shared.db import transaction
from shared.db.schema import usage_records, users
from tests.conftest import unique_email

ROOT = Path(__file__).resolve().parents[2]
AGENTS = ("execute", "triage", "data", "optimization")
NOW = datetime(2026, 11, 1, 12, 0, 0)  # every test question is asked at this moment
OCTOBER = {"start": "2026-10-01", "end": "2026-11-01"}


class User:
    def __init__(self, user_id: str, email: str):
        self.id, self.email = user_id, email
        token, _ = issue_access_token(user_id, email, uuid.uuid4().hex)
        self.headers = {"Authorization": f"Bearer {token}"}


def create_user() -> User:
    """A users row (the records' foreign key needs it) and a valid access token for it."""
    user_id, email = str(uuid.uuid4()), unique_email("agents")
    with transaction() as conn:
        conn.execute(insert(users).values(id=user_id, email=email, name=None, password_hash="x",
                                          created_at=datetime(2026, 1, 1)))
    return User(user_id, email)


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


@pytest.fixture
def clients():
    """``clients[name]``: a test client of ``functions/agents_<name>/main.py`` through functions-framework."""
    apps = {}
    for name in AGENTS:
        app = functions_framework.create_app(target=f"agents_{name}",
                                             source=str(ROOT / "functions" / f"agents_{name}" / "main.py"))
        apps[name] = app.test_client()
    return apps


