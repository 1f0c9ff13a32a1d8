"""The databases a test session runs on, and pointing this process's DB layer at one.

``Database(name, url, schema)`` is one backend ("sqlite" or "postgresql"): ``activate()`` points the
process at it, ``env()`` is the environment a server process needs to use it; ``with activated(database):``
points it there for a block only (for session fixtures that write data). ``PG_URL`` is the server named by
``TOKENWISE_TEST_PG_URL`` (default the local one); ``require_postgres()`` skips the calling test when it
does not answer, or fails it under ``TOKENWISE_REQUIRE_PG=1`` (as in CI). ``migrate(database)`` upgrades
a database to the head revision; ``drop_schema(schema)`` removes a PostgreSQL schema and all it holds.
``point_at(url, **options)`` points the DB layer at ``url`` with DB_* options (keeping
``TOKENWISE_DB_SCHEMA``).
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from shared.db import reset_engine

PG_URL = os.environ.get("TOKENWISE_TEST_PG_URL", "postgresql+pg8000://postgres@127.0.0.1:5432/test")


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


@contextmanager
def activated(database: Database) -> Iterator[Database]:
    """The DB layer on ``database`` for the block, and the environment as it was afterwards."""
    saved = dict(os.environ)
    try:
        database.activate()
        yield database
    finally:
        os.environ.clear()
        os.environ.update(saved)
        reset_engine()


def migrate(database: Database) -> None:
    from shared.db.migrate import upgrade
    with activated(database):
        upgrade()


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


def drop_schema(schema: str) -> None:
    from sqlalchemy import create_engine, text
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def point_at(url: str, **options: float | int | str) -> None:
    """Point the DB layer of this process at ``url`` (keeping TOKENWISE_DB_SCHEMA) with DB_* options."""
    os.environ["DATABASE_URL"] = url
    for name, value in options.items():
        os.environ[name] = str(value)
    reset_engine()
