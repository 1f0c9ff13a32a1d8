"""Fixtures shared by the whole suite.

Databases: a fresh SQLite file and a fresh PostgreSQL schema per test session,
both migrated with Alembic. ``TOKENWISE_TEST_PG_URL`` names the server
(default the local one); with ``TOKENWISE_REQUIRE_PG=1`` (as in CI) an
unreachable server fails the PostgreSQL tests instead of skipping them.
"""
from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass

import pytest

from shared.db import reset_engine

PG_URL = os.environ.get("TOKENWISE_TEST_PG_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/test")
TEST_SECRET = secrets.token_urlsafe(48)


@dataclass(frozen=True)
class Database:
    name: str  # "sqlite" | "postgresql"
    url: str
    schema: str = ""

    def activate(self) -> None:
        """Point the process's DB layer at this database."""
        os.environ["DATABASE_URL"] = self.url
        if self.schema:
            os.environ["TOKENWISE_DB_SCHEMA"] = self.schema
        else:
            os.environ.pop("TOKENWISE_DB_SCHEMA", None)
        reset_engine()

    def env(self) -> dict[str, str]:
        """Environment for a server process using this database."""
        env = {"DATABASE_URL": self.url}
        if self.schema:
            env["TOKENWISE_DB_SCHEMA"] = self.schema
        return env


@pytest.fixture(scope="session", autouse=True)
def _base_environment(tmp_path_factory):
    """Every test starts from a known environment: development mode, a test secret, a temp data dir."""
    data = tmp_path_factory.mktemp("data")
    os.environ.update({
        "TOKENWISE_ENV": "development",
        "TOKENWISE_DATA_DIR": str(data),
        "JWT_SECRET": TEST_SECRET,
        "DATABASE_URL": f"sqlite:///{data / 'default.db'}",
    })
    os.environ.pop("K_SERVICE", None)
    os.environ.pop("TOKENWISE_DB_SCHEMA", None)
    yield


@pytest.fixture(autouse=True)
def _restore_environ():
    """functions-framework writes FUNCTION_TARGET into os.environ; tests change DATABASE_URL."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)
    reset_engine()


def _migrate(database: Database) -> None:
    from shared.db.migrate import upgrade
    saved = dict(os.environ)
    try:
        database.activate()
        upgrade()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_engine()


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory) -> Database:
    path = tmp_path_factory.mktemp("sqlite") / "tokenwise.db"
    database = Database("sqlite", f"sqlite:///{path}")
    _migrate(database)
    return database


def pg_reachable(url: str = PG_URL) -> str | None:
    """None when the server answers, else the reason."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url, connect_args={"timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # reported as the skip/fail reason
        return f"{type(exc).__name__}: {exc}"
    finally:
        engine.dispose()


def require_postgres() -> None:
    reason = pg_reachable()
    if reason is None:
        return
    message = f"PostgreSQL at {PG_URL} is not reachable: {reason}"
    if os.environ.get("TOKENWISE_REQUIRE_PG") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgresql_database() -> Database:
    require_postgres()
    from sqlalchemy import create_engine, text
    schema = f"tw_test_{uuid.uuid4().hex[:12]}"
    database = Database("postgresql", PG_URL, schema)
    _migrate(database)
    yield database
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request) -> Database:
    """Runs the test once per backend, with the process pointed at that database."""
    if request.param == "postgresql":
        request.applymarker(pytest.mark.postgres)
    db = request.getfixturevalue(f"{request.param}_database")
    db.activate()
    return db


@pytest.fixture
def sqlite_db(sqlite_database) -> Database:
    sqlite_database.activate()
    return sqlite_database


@pytest.fixture
def pg_db(postgresql_database) -> Database:
    postgresql_database.activate()
    return postgresql_database


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"
