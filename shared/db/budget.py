"""A longer time limit for the statements of one transaction: maintenance that may outlast a request's.

``with statement_budget(conn, seconds):`` lets each statement of ``conn``'s transaction run up to
``seconds`` on PostgreSQL -- the server's ``statement_timeout`` (``SET LOCAL``, so it ends with
the transaction) and the driver's socket timeout, which otherwise gives up ``SOCKET_GRACE_S``
after ``DB_QUERY_TIMEOUT_S`` -- and puts the socket timeout back when the block ends. SQLite has
no such limits; there it does nothing.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from shared import compat
from shared.db.target import SOCKET_GRACE_S, socket_timeout_s


@contextmanager
def statement_budget(conn: Connection, seconds: float) -> Iterator[None]:
    if conn.dialect.name != "postgresql":
        yield
        return
    conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(seconds * 1000)}")
    driver_connection = conn.connection.dbapi_connection
    compat.set_read_timeout(driver_connection, seconds + SOCKET_GRACE_S)
    try:
        yield
    finally:
        compat.set_read_timeout(driver_connection, socket_timeout_s())
