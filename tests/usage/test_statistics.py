"""A large load refreshes PostgreSQL's planner statistics so the first questions on it are fast."""
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from shared.db import transaction
from shared.db.schema import users
from shared.demo import load_demo


def _estimated_and_actual_rows(conn) -> tuple[float, int]:
    estimated = conn.execute(text(
        "SELECT reltuples FROM pg_class WHERE oid = 'usage_records'::regclass")).scalar_one()
    actual = conn.execute(text("SELECT count(*) FROM usage_records")).scalar_one()
    return estimated, actual


@pytest.mark.postgres
def test_a_large_load_analyzes_usage_records(pg_db):
    user_id = str(uuid.uuid4())
    with transaction() as conn:
        conn.execute(users.insert().values(
            id=user_id, email=f"stats-{user_id[:8]}@example.com", name=None, password_hash="x",
            created_at=datetime.now(UTC).replace(tzinfo=None)))
    load_demo(user_id, rows=12_000, seed=3)
    with transaction() as conn:
        estimated, actual = _estimated_and_actual_rows(conn)
    # ANALYZE reads every row of a table this small, so its estimate is the exact count.
    assert actual >= 12_000
    assert estimated == actual
