"""Every place the chat leans on simple-websocket's internals, and the version they were read from.

``tests/compat`` checks the installed version against ``CHECKED_AGAINST`` and the internals named
here, so an upgrade that moves them fails there, loudly. After an upgrade: re-read
``simple_websocket/ws.py``, adjust this module, then the version here.

What we rely on (simple-websocket 1.1):

- ``ws.sock`` is the socket every frame is written to with ``sock.send`` (never ``sendall``), and
  the reader thread closes it last, whatever ended the connection.
- ``ws.event`` is the ``threading.Event`` that a waiting ``receive()`` sleeps on.
- ``Server`` keeps ``subprotocols or []`` (so the option must be truthy and not a ``str``) and
  selects the first subprotocol the client offers that is ``in`` it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

CHECKED_AGAINST = {"simple-websocket": "1.1.0"}


class SessionSocket:
    """The socket under simple-websocket, with two fixes.

    Every frame write completes: simple-websocket writes with ``sock.send``, which on a gevent
    socket (and for large frames on any non-blocking one) may write only part of a frame. And
    closing wakes the reader: when simple-websocket ends a connection by itself (an oversized
    message closes with 1009) it does not wake a waiting ``receive()``, but it always closes the
    socket last.
    """

    def __init__(self, sock: Any, on_close: Callable[[], None]):
        self._sock = sock
        self._on_close = on_close

    def send(self, data: bytes) -> int:
        sent = self._sock.send(data)
        if sent < len(data):
            self._sock.sendall(memoryview(data)[sent:])
        return len(data)

    def close(self) -> None:
        self._sock.close()
        self._on_close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def install_session_socket(ws: Any) -> None:
    """Put ``SessionSocket`` under an accepted ``simple_websocket.Server``."""
    ws.sock = SessionSocket(ws.sock, on_close=ws.event.set)


def wake_receiver(ws: Any) -> None:
    """End a ``receive()`` that is waiting for the client (it then sees the connection closed)."""
    ws.event.set()


class SubprotocolChoice:
    """The ``subprotocols`` option when the one to select depends on the handshake.

    ``chosen()`` is called during the handshake, on the request's thread, and names the one
    subprotocol to select (``None``: select none).
    """

    def __init__(self, chosen: Callable[[], str | None]):
        self._chosen = chosen

    def __contains__(self, name: object) -> bool:
        chosen = self._chosen()
        return chosen is not None and chosen == name

    def __bool__(self) -> bool:
        return True
