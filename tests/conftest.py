"""Fixtures shared by the whole suite.

Databases: a fresh SQLite file and a fresh PostgreSQL schema per test session (per pytest-xdist worker),
both migrated with Alembic. ``TOKENWISE_TEST_PG_URL`` names the server (default the local one); with
``TOKENWISE_REQUIRE_PG=1`` (as in CI) an unreachable server fails the PostgreSQL tests instead of
skipping them. Every test that runs on PostgreSQL carries the ``postgres`` mark from collection on, so
``-m postgres`` and ``-m "not postgres"`` select exactly.

Read-only data shared by many tests (the October records) is written once per session and backend,
for a user of its own; tests that use it must not change it.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from shared.db import reset_engine
from tests.support.database import (
    PG_URL,
    Database,
    activated,
    drop_schema,
    migrate,
    require_postgres,
)
from tests.support.e2e_stacks import PgStack, running_pg_stack
from tests.support.identity import TEST_SECRET
from tests.support.october_usage import october_owner
from tests.support.users import User

if TYPE_CHECKING:
    from xdist.scheduler import LoadGroupScheduling

# Fixtures that reach PostgreSQL by themselves, not through the parametrised ``database``.
POSTGRES_FIXTURES = {"postgresql_database", "pg_stack"}


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if POSTGRES_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: called only when it runs the suite
def pytest_xdist_make_scheduler(config: pytest.Config, log) -> LoadGroupScheduling | None:
    """``--dist loadgroup`` keeps the tests that share stack processes on one worker (tests/support/parallel.py)."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.support.parallel import GroupScheduling
    return GroupScheduling(config, log)


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


@pytest.fixture(scope="session")
def sqlite_database(tmp_path_factory) -> Database:
    path = tmp_path_factory.mktemp("sqlite") / "tokenwise.db"
    database = Database("sqlite", f"sqlite:///{path}")
    migrate(database)
    return database


@pytest.fixture(scope="session")
def postgresql_database() -> Iterator[Database]:
    require_postgres()
    database = Database("postgresql", PG_URL, f"tw_test_{uuid.uuid4().hex[:12]}")
    migrate(database)
    yield database
    drop_schema(database.schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request) -> Database:
    """Runs the test once per backend, with the process pointed at that database."""
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


@pytest.fixture(scope="session")
def sqlite_october_user(sqlite_database) -> User:
    with activated(sqlite_database):
        return october_owner()


@pytest.fixture(scope="session")
def postgresql_october_user(postgresql_database) -> User:
    with activated(postgresql_database):
        return october_owner()


@pytest.fixture
def october_user(database, request) -> User:
    """The owner of the October records (``tests/support/october_usage.py``) in the test's database.

    Written once per session and backend: a test may read them, never change them.
    """
    return request.getfixturevalue(f"{database.name}_october_user")


@pytest.fixture(scope="session")
def pg_stack(tmp_path_factory) -> Iterator[PgStack]:
    """The local stack on a fresh PostgreSQL schema behind a proxy the test can cut (e2e and browser tests)."""
    yield from running_pg_stack(tmp_path_factory.mktemp("e2e-pg-stack"))
