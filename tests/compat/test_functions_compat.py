"""shared.compat: pg8000's socket and werkzeug's cached body, pinned to the versions it was read from.

A failure here after an upgrade means the library moved an internal that ``shared/compat.py``
reaches into: re-read the library's source, adjust ``shared/compat.py``, then its ``CHECKED_AGAINST``.
"""
from __future__ import annotations

import inspect
import io
import socket
import time
from importlib.metadata import version

import pg8000
import pg8000.core
import pytest
from sqlalchemy.engine import make_url
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared import compat
from tests.support.database import PG_URL, require_postgres


@pytest.mark.parametrize("distribution", sorted(compat.CHECKED_AGAINST))
def test_installed_versions_are_the_ones_compat_was_checked_against(distribution):
    installed = version(distribution)
    assert installed == compat.CHECKED_AGAINST[distribution], (
        f"{distribution} is {installed}, shared/compat.py was checked against "
        f"{compat.CHECKED_AGAINST[distribution]}: re-read its source for the internals named there")


def test_pg8000_still_keeps_the_socket_it_reads_from_in_usock():
    source = inspect.getsource(pg8000.core.CoreConnection.__init__)
    assert f"self.{compat.PG8000_SOCKET} = _make_socket(" in source
    assert f"self._sock = self.{compat.PG8000_SOCKET}.makefile(" in source, \
        "pg8000 no longer reads through a file over that socket: its timeout may not bound reads"


def test_werkzeug_get_data_still_answers_from_the_cached_body():
    source = inspect.getsource(Request.get_data)
    assert f'getattr(self, "{compat.WERKZEUG_CACHED_BODY}", None)' in source


@pytest.mark.postgres
def test_the_read_timeout_set_through_compat_bounds_a_query():
    require_postgres()
    url = make_url(PG_URL)
    conn = pg8000.connect(user=url.username, password=url.password, host=url.host, port=url.port or 5432,
                          database=url.database, timeout=5)
    try:
        assert compat.read_timeout(conn) == 5
        compat.set_read_timeout(conn, 0.3)
        assert compat.read_timeout(conn) == 0.3
        started = time.monotonic()
        with pytest.raises((pg8000.InterfaceError, socket.timeout)):
            conn.run("SELECT pg_sleep(3)")
        assert time.monotonic() - started < 2.0
    finally:
        try:
            conn.close()
        except Exception:  # the link was given up mid-query; closing it may fail too
            pass


def test_a_body_marked_read_is_not_read():
    body = io.BytesIO(b"x" * 100_000)
    environ = EnvironBuilder(method="POST", data=b"", content_type="application/octet-stream").get_environ()
    environ.update({"wsgi.input": body, "CONTENT_LENGTH": "100000"})
    request = Request(environ)
    compat.mark_body_read(request)
    assert request.get_data() == b""
    assert body.tell() == 0, "werkzeug read the body although it was marked as read"
