"""Every place the functions lean on a library's private internals, and the versions they were read from.

An upgrade may move a private attribute without notice; ``tests/compat`` checks the installed
versions against ``CHECKED_AGAINST`` and each attribute below, so it fails there, loudly, before
anything fails quietly in production. After an upgrade: re-read the library's source for the
attribute, adjust this module, then the version here.

- pg8000 keeps a connection's socket in ``_usock``. Its one ``timeout`` bounds connecting and every
  read alike; the socket is the only handle for a different limit on queries once connected.
- werkzeug's ``Request.get_data()`` returns ``_cached_data`` when it is set, without reading the
  body. functions-framework calls ``get_data()`` after every response; a body marked as read is
  left to the server, which discards it in small reads, instead of being buffered whole.

Nothing is imported here: the functions' cold start pays for no library it does not already load.
"""
from __future__ import annotations

from typing import Any

CHECKED_AGAINST = {"pg8000": "1.31.6", "werkzeug": "3.1.9"}

PG8000_SOCKET = "_usock"
WERKZEUG_CACHED_BODY = "_cached_data"


def set_read_timeout(pg8000_connection: Any, seconds: float) -> None:
    """How long each read of this pg8000 connection may wait from now on (the connect timeout is spent)."""
    getattr(pg8000_connection, PG8000_SOCKET).settimeout(seconds)


def read_timeout(pg8000_connection: Any) -> float | None:
    return getattr(pg8000_connection, PG8000_SOCKET).gettimeout()


def mark_body_read(request: Any) -> None:
    """Make ``request.get_data()`` answer ``b""`` without reading what is left of the body."""
    setattr(request, WERKZEUG_CACHED_BODY, b"")
