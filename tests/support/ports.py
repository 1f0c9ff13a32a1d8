"""Loopback ports for servers and proxies that tests start.

``free_port()`` binds port 0 on 127.0.0.1, reads the port the kernel chose and releases it: nothing
listens there afterwards, so it serves both as the port to give a server process and as an address
that refuses connections.
"""
from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
