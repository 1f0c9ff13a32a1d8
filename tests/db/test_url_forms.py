"""``DATABASE_URL`` forms: what the one connect function hands the driver, and why a URL is refused."""
from __future__ import annotations

import os

import pytest

from shared.db import DatabaseUnavailable, db_status, get_engine, transaction
from shared.db.target import current
from tests.support.database import point_at


@pytest.mark.parametrize("url, args", [
    ("postgresql+pg8000://postgres@127.0.0.1:5432/test",
     {"user": "postgres", "host": "127.0.0.1", "port": 5432, "database": "test"}),
    ("postgresql+pg8000://app:p%40ss%3Aw%2Frd@db.internal/tokenwise",
     {"user": "app", "password": "p@ss:w/rd", "host": "db.internal", "database": "tokenwise"}),
    ("postgresql+pg8000://app:@[::1]:6432/tokenwise?application_name=auth",
     {"user": "app", "password": "", "host": "::1", "port": 6432, "database": "tokenwise",
      "application_name": "auth"}),
    ("postgresql+pg8000://app@localhost", {"user": "app", "host": "localhost"}),
    # A password runs to the first "@", as SQLAlchemy reads it: "/", "?", "#" and brackets need no escaping.
    ("postgresql+pg8000://app:pa/ss?w#rd@db:5432/x", {"user": "app", "password": "pa/ss?w#rd", "host": "db",
                                                      "port": 5432, "database": "x"}),
    ("postgresql+pg8000://app:Xy[Top]z@db.internal/app",
     {"user": "app", "password": "Xy[Top]z", "host": "db.internal", "database": "app"}),
])
def test_postgresql_urls_become_pg8000_arguments(url, args):
    point_at(url)
    where = current()
    assert (where.backend, where.problem, where.connect_args) == ("postgresql", None, args)


@pytest.mark.parametrize("url, database, uri", [
    ("sqlite:////var/data/tokenwise.db", "/var/data/tokenwise.db", False),
    ("sqlite:///relative/tokenwise.db", "relative/tokenwise.db", False),
    ("sqlite://", ":memory:", False),
    ("sqlite:///:memory:", ":memory:", False),
    ("sqlite:///file:/var/data/t.db?mode=ro&uri=true", "file:/var/data/t.db?mode=ro", True),
    ("sqlite+pysqlite:///var/t.db", "var/t.db", False),
    ("sqlite:///file:shared?mode=memory&cache=shared&uri=yes", "file:shared?mode=memory&cache=shared", True),
])
def test_sqlite_urls_become_sqlite3_arguments(url, database, uri):
    point_at(url)
    where = current()
    assert (where.backend, where.problem, where.database, where.connect_args) == (
        "sqlite", None, database, {"uri": uri})


@pytest.mark.parametrize("url, schema, reason", [
    ("postgresql+pg8000://app@db:port/x", "", "the port is not a number from 0 to 65535"),
    ("postgresql+pg8000://db.internal/x", "", "no user name before the host (postgresql+pg8000://USER@HOST/DB)"),
    ("postgresql+pg8000://app@db/x?sslmode=require", "",
     "unsupported option 'sslmode'; the options are unix_sock, application_name"),
    ("postgresql+pg8000://app@db/x", "Bad-Schema",
     "TOKENWISE_DB_SCHEMA 'Bad-Schema' is not a plain lower-case identifier"),
    ("sqlite:tokenwise.db", "", "it is not a database URL; use postgresql+pg8000:// or sqlite://"),
    ("sqlite://relative.db", "", "an SQLite URL is sqlite:///PATH (three slashes) or sqlite:// for memory"),
    ("sqlite:////tmp/t.db?timeout=5", "", "unsupported SQLite option 'timeout'; understood: uri=true"),
    ("sqlite:///file:/tmp/t.db?uri=true&timeout=5", "",
     "unsupported SQLite option 'timeout'; understood: SQLite URI options mode, cache, vfs, psow, nolock, "
     "immutable, modeof with uri=true"),
    ("app:secret@db/x", "", "it is not a database URL; use postgresql+pg8000:// or sqlite://"),
    ("dbname=app user=app password=secret host=db", "",
     "it is not a database URL; use postgresql+pg8000:// or sqlite://"),
    ("postgresql+pg8000://app:a[secret]@db:x/app", "", "the port is not a number from 0 to 65535"),
])
def test_unusable_urls_say_why_without_the_password(url, schema, reason):
    point_at(url)
    os.environ["TOKENWISE_DB_SCHEMA"] = schema
    status = db_status()
    assert (status["status"], status["error"]) == ("not_configured", f"DATABASE_URL is not usable: {reason}")
    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction():
            pass
    assert caught.value.body()["error"] == {"code": "database_unavailable", "message": "The database is unavailable.",
                                            "details": {"reason": status["error"]}}
    assert "secret" not in status["error"]


def test_a_target_never_shows_its_password():
    point_at("postgresql+pg8000://app:secret@db/x")
    assert "secret" not in repr(current())
    assert current().connect_args["password"] == "secret"


@pytest.mark.parametrize("url, pool", [
    ("sqlite://", "SingletonThreadPool"),
    ("sqlite:///file:tw_mem?mode=memory&cache=shared&uri=true", "SingletonThreadPool"),
    ("sqlite:////tmp/tw-pool.db", "QueuePool"),
])
def test_sqlite_in_memory_keeps_one_connection_per_thread(url, pool):
    point_at(url)
    assert type(get_engine().pool).__name__ == pool
