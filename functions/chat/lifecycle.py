"""SIGTERM → graceful shutdown, chained in front of the server's own handler.

Cloud Run sends SIGTERM and allows about 10 s. gunicorn's worker handler only
flips a flag (the worker stops accepting and waits ``--graceful-timeout`` for
open requests, i.e. our sockets). We add, without blocking inside the signal
handler (under gevent it may run in the hub): wake a waiting thread that runs
``ChatService.shutdown()``, which ends runs ``interrupted`` and closes sockets
with 1001 so the worker can exit well inside the grace period.
"""
from __future__ import annotations

import signal
import threading

from functions.chat.instance import ChatService
from shared.logging import get_logger

log = get_logger("chat.lifecycle")


def chain_sigterm(service: ChatService) -> None:
    """Run ``service.shutdown()`` on SIGTERM, then whatever handled SIGTERM before."""
    requested = threading.Event()

    def wait_and_shut_down() -> None:
        requested.wait()
        service.shutdown()

    threading.Thread(target=wait_and_shut_down, name="chat-shutdown", daemon=True).start()
    previous = signal.getsignal(signal.SIGTERM)

    def on_sigterm(signum, frame) -> None:
        requested.set()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_sigterm)
    log.info("SIGTERM closes sockets with 1001 and interrupts runs")
