"""Slow queries and a server that goes silent mid-query answer 503, never 500."""
import time

import pytest
from sqlalchemy import text

from shared import compat
from shared.db import DatabaseUnavailable, transaction
from shared.http import status_of


@pytest.mark.postgres
def test_a_query_past_the_statement_timeout_is_busy_not_down(pg_db, monkeypatch):
    monkeypatch.setenv("DB_QUERY_TIMEOUT_S", "0.5")
    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction() as conn:
            conn.execute(text("SELECT pg_sleep(2)"))
    assert status_of(caught.value) == 503
    assert "canceling statement due to statement timeout" in caught.value.reason
    # The server answered: no backoff, the very next transaction works.
    with transaction() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


@pytest.mark.postgres
def test_a_server_silent_mid_query_is_down_until_the_backoff_passes(pg_db, monkeypatch):
    monkeypatch.setenv("DB_QUERY_TIMEOUT_S", "0.5")
    monkeypatch.setenv("DB_BACKOFF_MAX_S", "0.3")
    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction() as conn:
            # Lift the server's own limit so only the socket's (0.5 + 2 s) can end the wait.
            conn.execute(text("SET LOCAL statement_timeout = 0"))
            conn.execute(text("SELECT pg_sleep(4)"))
    assert caught.value.reason == "TimeoutError: no answer from the database server within 2.5 s"
    with pytest.raises(DatabaseUnavailable):  # inside the backoff: refused without trying
        with transaction() as conn:
            conn.execute(text("SELECT 1"))
    time.sleep(0.35)
    with transaction() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


@pytest.mark.postgres
def test_connect_timeout_does_not_cut_long_queries(pg_db, monkeypatch):
    monkeypatch.setenv("DB_CONNECT_TIMEOUT_S", "0.5")
    with transaction() as conn:
        assert conn.execute(text("SELECT pg_sleep(1.2), 7")).one()[1] == 7


@pytest.mark.postgres
def test_a_statement_budget_outlasts_both_limits_then_gives_them_back(pg_db, monkeypatch):
    from shared.db.budget import statement_budget
    monkeypatch.setenv("DB_QUERY_TIMEOUT_S", "0.5")
    with transaction() as conn:
        with statement_budget(conn, 6):
            # Past the server's 0.5 s and the socket's 2.5 s.
            assert conn.execute(text("SELECT pg_sleep(3), 1")).all()[0][1] == 1
        assert compat.read_timeout(conn.connection.dbapi_connection) == 2.5
    # The server's limit was lifted for that transaction only.
    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction() as conn:
            conn.execute(text("SELECT pg_sleep(1)"))
    assert "canceling statement due to statement timeout" in caught.value.reason


def test_a_statement_budget_changes_nothing_on_sqlite(sqlite_db):
    from shared.db.budget import statement_budget
    with transaction() as conn:
        with statement_budget(conn, 6):
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
