"""Fixtures for the DB layer's fault tests: proxies the test controls and units served over real HTTP.

``proxies`` builds ``Proxy`` objects and closes them after the test;
``pg_upstream`` is the (host, port) of the test PostgreSQL server;
``point_at(url, **options)`` points this process's DB layer at ``url`` with
DB_* options; ``not_migrated()`` is the reason reported for an unmigrated
schema; ``serve(app)`` runs a WSGI app on a free port in a thread and yields
its base URL.
"""
from __future__ import annotations

import contextlib
import os
from typing import Callable, Iterator

import pytest
from sqlalchemy.engine import make_url

from shared.db import reset_engine
from tests.conftest import PG_URL
from tests.support.proxy import Proxy
from tests.support.servers import ThreadedServer
from tests.support.teardown import stopped_after_test


@pytest.fixture
def proxies() -> Iterator[Callable[..., Proxy]]:
    yield from stopped_after_test(Proxy, stop=Proxy.close)


@pytest.fixture(scope="session")
def pg_upstream() -> tuple[str, int]:
    url = make_url(PG_URL)
    return url.host or "127.0.0.1", url.port or 5432


def alembic_head() -> str:
    """The head revision as Alembic itself computes it (the DB layer reads the files on its own)."""
    from alembic.script import ScriptDirectory
    from shared.db.migrate import MIGRATIONS
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def not_migrated(found: str = "no revision") -> str:
    return (f"database schema is not migrated (found {found}, this build needs {alembic_head()}): "
            "run python -m shared.db.migrate")


def point_at(url: str, **options: float | int | str) -> None:
    """Point the DB layer of this process at ``url`` (keeping TOKENWISE_DB_SCHEMA) with DB_* options."""
    os.environ["DATABASE_URL"] = url
    for name, value in options.items():
        os.environ[name] = str(value)
    reset_engine()


@contextlib.contextmanager
def serving(app) -> Iterator[str]:
    server = ThreadedServer(app)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def serve():
    return serving
