"""A longer time limit for the statements of one transaction: maintenance that may outlast a request's.

``with statement_budget(conn, seconds):`` lets each statement of ``conn``'s transaction run up to
``seconds`` on PostgreSQL -- the server's ``statement_timeout`` (``SET LOCAL``, so it ends with
the transaction) and the driver's socket timeout, which otherwise gives up ``SOCKET_GRACE_S``
after ``DB_QUERY_TIMEOUT_S`` -- and puts the socket timeout back when the block ends. SQLite has
no such limits; there it does nothing.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy.engine import Connection

from shared import config
from shared.db.target import SOCKET_GRACE_S


@contextmanager
def statement_budget(conn: Connection, seconds: float) -> Iterator[None]:
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
    sock = conn.connection.dbapi_connection._usock  # pg8000 keeps its socket here (see target.py)
    sock.settimeout(seconds + SOCKET_GRACE_S)
    try:
        yield
    finally:
        sock.settimeout(config.env_float("DB_QUERY_TIMEOUT_S", 30.0) + SOCKET_GRACE_S)
