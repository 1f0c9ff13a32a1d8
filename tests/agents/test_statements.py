"""The analysis statements run on separate connections on PostgreSQL and give the same figures."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from shared.agents.data.agent import analyze
from shared.agents.data.sql import Scope
from shared.agents.data.statements import fetch_concurrently
from shared.agents.pipeline.events import Emitter
from shared.db import get_engine
from tests.agents.dataopt_records import insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 3)
T = datetime(2026, 11, 1, 9)
SCOPE = Scope.build("nobody", START, END)


def _session(conn, scope):
    if conn.dialect.name == "postgresql":
        return [{"session": conn.execute(text("SELECT pg_backend_pid()")).scalar_one()}]
    return [{"session": id(conn.connection.dbapi_connection)}]


def _sessions(query=_session) -> set:
    with fetch_concurrently(SCOPE, (query, query, query)) as results:
        return {fetch()[0]["session"] for fetch in results}


def test_postgresql_runs_each_statement_on_its_own_connection(pg_db, monkeypatch):
    # Each statement waits until all three are running, so three connections must be open at once.
    all_running = threading.Barrier(3, timeout=10)

    def meeting(conn, scope):
        rows = _session(conn, scope)
        all_running.wait()
        return rows

    assert len(_sessions(meeting)) == 3
    monkeypatch.setenv("AGENTS_SQL_CONCURRENCY", "1")
    assert len(_sessions()) == 1


def test_sqlite_keeps_one_connection(sqlite_db):
    assert len(_sessions()) == 1


def test_every_connection_is_returned_when_the_caller_fails(pg_db):
    with pytest.raises(RuntimeError):
        with fetch_concurrently(SCOPE, (_session, _session, _session)) as results:
            results[0]()
            raise RuntimeError("the caller stops after the first statement")
    assert get_engine().pool.checkedout() == 0


def test_concurrent_and_sequential_statements_give_the_same_result(database, monkeypatch):
    user = make_user()
    insert_records(user, [record(T + timedelta(minutes=i), prompt_hash=f"h{i % 4}", latency_ms=100 + i,
                                 model="gpt-4o-mini" if i % 3 else "gpt-4o", feature="chat" if i % 2 else "tagging",
                                 completion_tokens=20 + 7 * i)
                          for i in range(40)])
    together = analyze(user, START, END, emitter=Emitter()).to_dict()
    monkeypatch.setenv("AGENTS_SQL_CONCURRENCY", "1")
    one_by_one = analyze(user, START, END, emitter=Emitter()).to_dict()
    assert together == one_by_one
    # Each hash's 10 records split over two models (same feature): 4 + 6 records, so 3 + 5 repeats.
    assert together["totals"]["requests"] == 40 and together["repeated_prompt_share"] == 0.8


def test_a_pool_of_one_connection_runs_them_in_turn(pg_db, monkeypatch):
    from shared.db import reset_engine
    monkeypatch.setenv("DB_POOL_SIZE", "1")
    monkeypatch.setenv("DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("DB_POOL_TIMEOUT_S", "5")
    reset_engine()
    try:
        assert len(_sessions()) == 1
    finally:
        monkeypatch.undo()
        reset_engine()
