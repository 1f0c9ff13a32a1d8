"""A TCP (or unix-socket) proxy in front of a database whose faults the test controls.

``Proxy(upstream)`` listens on a free loopback port (or on ``unix_path``) from the moment it is built and
counts (and timestamps) every connection it accepts. Modes: ``forward`` (pipe bytes to the upstream),
``drop`` (accept, then close at once: the server looks gone), ``silent`` (accept and hold, never answer: a
host that never replies). ``cut()`` closes the listener and every live connection; ``restore()`` listens
again on the same address; ``kill_connections()`` closes live connections only; ``url_for(url)`` points a
database URL at the proxy. ``upstream=None`` makes a listener that is never forwarded (for
``drop``/``silent``).
"""
from __future__ import annotations

import os
import socket
import threading
import time

FORWARD, DROP, SILENT = "forward", "drop", "silent"


class Proxy:
    def __init__(self, upstream: tuple[str, int] | None = None, mode: str = FORWARD,
                 unix_path: str | None = None):
        if mode == FORWARD and upstream is None:
            raise ValueError("forward mode needs an upstream")
        self.upstream = upstream
        self.mode = mode
        self.unix_path = unix_path
        self.port = 0
        self.accepted = 0
        self.accept_times: list[float] = []  # time.monotonic() of each accepted connection
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._pumps: list[threading.Thread] = []
        self._listen()

    # -- lifecycle -------------------------------------------------------
    def _listen(self) -> None:
        if self.unix_path:
            if os.path.exists(self.unix_path):
                os.unlink(self.unix_path)
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            listener.bind(self.unix_path)
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port))
            self.port = listener.getsockname()[1]
        listener.listen(64)
        listener.settimeout(0.05)  # lets the accept loop notice cut() promptly
        self._listener = listener
        self._acceptor = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        """The database disappears: no listener, every live connection closed."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._acceptor is not None:
            self._acceptor.join(timeout=5)
            self._acceptor = None
        self.kill_connections()
        for pump in self._pumps:
            pump.join(timeout=5)
        self._pumps = []
        if self.unix_path and os.path.exists(self.unix_path):
            os.unlink(self.unix_path)

    def kill_connections(self) -> None:
        """Close every live connection but keep listening (a server restart, seen from the client)."""
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            _close(sock)

    def restore(self) -> None:
        """The database comes back on the same address."""
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        self.cut()

    def url_for(self, url: str) -> str:
        """``url`` (a SQLAlchemy URL to the upstream) rewritten to go through this proxy."""
        from sqlalchemy.engine import make_url
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    # -- traffic ---------------------------------------------------------
    def _accept_loop(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                self.accept_times.append(time.monotonic())
            if self.mode == DROP:
                _close(client)
                continue
            with self._lock:
                self._live.add(client)
            if self.mode == FORWARD:
                self._forward(client)

    def _forward(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.upstream, timeout=5)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        client.settimeout(None)
        with self._lock:
            self._live.add(upstream)
        for src, dst in ((client, upstream), (upstream, client)):
            pump = threading.Thread(target=self._pump, args=(src, dst), daemon=True)
            self._pumps.append(pump)
            pump.start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            _close(sock)
            with self._lock:
                self._live.discard(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
