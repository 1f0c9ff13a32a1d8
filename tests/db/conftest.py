"""Fixtures for the DB layer's fault tests: proxies the test controls and units served over real HTTP.

``proxies`` builds ``Proxy`` objects and closes them after the test; ``pg_upstream`` is the (host, port)
of the test PostgreSQL server; ``serve(app)`` runs a WSGI app on a free port in a thread for a ``with``
block and gives its base URL. Pointing the DB layer at a URL is ``tests/support/database.point_at``.
"""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import make_url

from tests.support.database import PG_URL
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


@pytest.fixture
def serve() -> Callable[..., contextlib.AbstractContextManager[str]]:
    @contextlib.contextmanager
    def serving(app) -> Iterator[str]:
        server = ThreadedServer(app)
        try:
            yield server.url
        finally:
            server.stop()

    return serving
