"""``db_status()`` and ``transaction()`` tell "the database is unavailable" apart from bugs, promptly.

Covers: a host that never answers (status within 2 s, then the real reason,
remembered), unusable URLs, server-side refusals at connect time, an
unmigrated schema, production without ``DATABASE_URL``, and SQL mistakes that
must stay errors (500), not 503s that trip the backoff.
"""
from __future__ import annotations

import os
import time
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared.db import DatabaseUnavailable, db_status, reset_engine, transaction
from shared.db.migrate import upgrade
from tests.support.database import PG_URL, point_at, require_postgres
from tests.support.migrations import not_migrated
from tests.support.ports import free_port as closed_port
from tests.support.proxy import SILENT


def _silent_url(port: int) -> str:
    return f"postgresql+pg8000://postgres@127.0.0.1:{port}/test"


def test_status_answers_within_two_seconds_when_the_host_never_answers(proxies):
    silent = proxies(None, mode=SILENT)
    point_at(_silent_url(silent.port), DB_CONNECT_TIMEOUT_S=4)

    def timed_status() -> dict:
        started = time.monotonic()
        status = db_status()
        assert time.monotonic() - started < 2.0
        return status

    for _ in range(2):  # the second call shares the stuck probe instead of queueing behind it
        assert timed_status() == {"status": "degraded", "backend": "postgresql", "latency_ms": None,
                                  "error": "no answer from the database within the status timeout"}
    assert silent.accepted == 1

    reason = "TimeoutError: no answer from the database server within 4.0 s"
    assert timed_status()["error"] == reason  # the probe's own connect timeout has expired meanwhile
    assert timed_status() == {"status": "degraded", "backend": "postgresql", "latency_ms": None, "error": reason}
    assert silent.accepted == 1, "the failure is remembered: no new attempt inside the backoff window"

    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction():
            pass
    assert caught.value.reason == reason
    assert silent.accepted == 1


def test_a_probe_stuck_on_an_old_url_does_not_answer_for_the_new_one(proxies, sqlite_database):
    silent = proxies(None, mode=SILENT)
    point_at(_silent_url(silent.port), DB_CONNECT_TIMEOUT_S=5)
    assert db_status()["status"] == "degraded"

    sqlite_database.activate()
    started = time.monotonic()
    status = db_status()
    assert status["status"] == "connected", status
    assert status["backend"] == "sqlite"
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize("url, status, reason", [
    ("not a url", "not_configured",
     "DATABASE_URL is not usable: it is not a database URL; use postgresql+pg8000:// or sqlite://"),
    ("mysql://x", "not_configured",
     "DATABASE_URL is not usable: unsupported database URL scheme 'mysql'; "
     "use postgresql+pg8000:// or sqlite://"),
    ("postgresql://postgres@127.0.0.1/test", "not_configured",
     "DATABASE_URL is not usable: unsupported database URL scheme 'postgresql'; "
     "use postgresql+pg8000:// or sqlite://"),
])
def test_unusable_urls_are_reported_not_raised(url, status, reason):
    point_at(url)
    assert db_status() == {"status": status, "backend": "postgresql", "latency_ms": None, "error": reason}
    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction():
            pass
    assert caught.value.reason == reason
    assert caught.value.body()["error"]["code"] == "database_unavailable"


def test_a_closed_port_is_degraded_with_the_reason():
    port = closed_port()
    point_at(_silent_url(port))
    status = db_status()
    assert status["status"] == "degraded"
    assert status["error"].startswith(f"InterfaceError: Can't create a connection to host 127.0.0.1 and port {port}")


@pytest.mark.postgres
def test_a_server_that_refuses_the_session_is_unavailable_not_a_crash():
    require_postgres()
    point_at(PG_URL.rsplit("/", 1)[0] + f"/tw_missing_{uuid.uuid4().hex[:8]}")
    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction():
            pass
    assert caught.value.reason.startswith("ProgrammingError: ")
    assert "does not exist" in caught.value.reason
    assert db_status()["status"] == "degraded"


def test_production_without_database_url_is_not_configured(tmp_path):
    os.environ.pop("DATABASE_URL")
    os.environ.update(TOKENWISE_ENV="production", TOKENWISE_DATA_DIR=str(tmp_path))
    reset_engine()
    status = db_status()
    assert status["status"] == "not_configured"
    assert status["error"] == "DATABASE_URL is not set; production needs a PostgreSQL URL"
    assert list(tmp_path.iterdir()) == [], "no embedded database may be created behind its back"


def test_an_unmigrated_sqlite_database_is_degraded(tmp_path):
    point_at(f"sqlite:///{tmp_path / 'fresh.db'}")
    status = db_status()
    assert status["status"] == "degraded"
    assert status["error"] == not_migrated()


def test_a_schema_behind_this_build_is_degraded_and_one_ahead_is_not(tmp_path):
    point_at(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade("0001_auth")
    assert db_status()["error"] == not_migrated("0001_auth")

    upgrade()
    with transaction() as conn:  # as if a newer build had migrated further
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_a_newer_build'"))
    assert db_status()["status"] == "connected"


@pytest.mark.postgres
def test_an_unmigrated_postgresql_schema_is_degraded(pg_db):
    os.environ["TOKENWISE_DB_SCHEMA"] = f"tw_empty_{uuid.uuid4().hex[:10]}"
    reset_engine()
    status = db_status()
    assert status["status"] == "degraded"
    assert status["error"] == not_migrated()


def test_a_mistake_in_sql_is_an_error_not_an_outage(database):
    with pytest.raises(DBAPIError) as caught:
        with transaction() as conn:
            conn.execute(text("SELECT * FROM no_such_table_anywhere"))
    assert not isinstance(caught.value, DatabaseUnavailable)
    assert "no_such_table_anywhere" in str(caught.value)

    with transaction() as conn:  # no backoff was started by the mistake
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    assert db_status()["status"] == "connected"
