"""A server that stops answering in the middle of a query is an outage (503), not a crash (500)."""
import time

import pytest
from sqlalchemy import text

from shared.db import DatabaseUnavailable, transaction


@pytest.mark.postgres
def test_socket_timeout_mid_query_is_database_unavailable(pg_db, monkeypatch):
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "1")
    monkeypatch.setenv("DB_BACKOFF_MAX_S", "0.3")
    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction() as conn:
            conn.execute(text("SELECT pg_sleep(2)"))
    assert caught.value.reason == "TimeoutError: no answer from the database server within 1.0 s"
    assert caught.value.status == 503

    time.sleep(0.35)  # past the backoff: the next transaction gets a healthy connection
    with transaction() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
