"""Which database errors mean "unavailable" (HTTP 503) and which are bugs in our SQL (HTTP 500).

Failing to get a connection is always unavailability, whatever the cause: a
refused or silent host (pg8000 lets a socket timeout escape as a bare
``TimeoutError``), a server starting up or full, an unknown database, a
SQLite folder that cannot be created. Once connected, only errors saying the
link or the storage is gone count (``DOWN``: a pg8000 network error, an
invalidated connection, a SQLite file that cannot be opened, read or written)
or that it is momentarily locked (``BUSY``: 503 without starting the
backoff). A missing table or a syntax error stays an error: it is a bug.

Each function takes the driver's own exception or SQLAlchemy's wrapper of it
(``.orig``), so requests and the health probe classify alike.
"""
from __future__ import annotations

import re
from typing import Literal

from shared.db.target import connect_timeout_s, socket_timeout_s

DOWN, BUSY = "down", "busy"

# SQLite primary result codes (the low byte of extended codes).
_SQLITE_BUSY = {5, 6}  # SQLITE_BUSY, SQLITE_LOCKED
_SQLITE_DOWN = {3, 7, 8, 10, 11, 13, 14, 26}  # PERM, NOMEM, READONLY, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB


def _cause(exc: BaseException) -> BaseException:
    return getattr(exc, "orig", None) or exc


def short(exc: BaseException, in_use: bool = False) -> str:
    """One line naming the cause, with any password in a URL masked.

    ``in_use``: raised on a live connection, where a timeout means the query's socket limit.
    """
    cause = _cause(exc)
    if isinstance(cause, TimeoutError):
        timeout = socket_timeout_s() if in_use else connect_timeout_s()
        return f"TimeoutError: no answer from the database server within {timeout} s"
    text = str(cause).strip()
    message = text.splitlines()[0] if text else type(cause).__name__
    message = re.sub(r"://([^:/@]+):[^@]*@", r"://\1:***@", message)
    return f"{type(cause).__name__}: {message}"[:300]


def _sqlite_kind(cause: BaseException) -> str | None | Literal[False]:
    """``BUSY``/``DOWN``/``None`` for a SQLite error, ``False`` when it is not one."""
    code = getattr(cause, "sqlite_errorcode", None)
    if code is None:
        return False
    primary = code & 0xFF
    if primary in _SQLITE_BUSY:
        return BUSY
    return DOWN if primary in _SQLITE_DOWN else None


def connect_failure(exc: BaseException) -> str:
    """``BUSY`` or ``DOWN`` for an error raised while getting a connection."""
    return BUSY if _sqlite_kind(_cause(exc)) == BUSY else DOWN


def _pg_sqlstate(cause: BaseException) -> str | None:
    """The SQLSTATE of a pg8000 server error (its first argument is the error's field dict)."""
    args = getattr(cause, "args", ())
    return args[0].get("C") if args and isinstance(args[0], dict) else None


_PG_QUERY_CANCELED = "57014"  # statement_timeout: the server is up, the query was too slow


def in_use_failure(exc: BaseException) -> str | None:
    """``DOWN``, ``BUSY`` or ``None`` (not an availability problem) for an error on a live connection."""
    if isinstance(exc, OSError):  # pg8000 lets a socket timeout or reset escape mid-query, unwrapped
        return DOWN
    cause = _cause(exc)
    kind = _sqlite_kind(cause)
    if kind is not False:
        return kind
    if _pg_sqlstate(cause) == _PG_QUERY_CANCELED:
        return BUSY
    # DBAPI class names, which SQLAlchemy's wrappers mirror: the link, not the statement, failed.
    link_failed = any(cls.__name__ in ("InterfaceError", "OperationalError") for cls in type(cause).__mro__)
    if getattr(exc, "connection_invalidated", False) or link_failed:
        return DOWN
    return None
