"""The chat's state for one process: settings, outbox, runs, thread owners, open sockets, shutdown.

``ChatService.shutdown()`` is what SIGTERM triggers (see ``lifecycle``): new
upgrades are refused (503), waiting and running runs end ``interrupted``
within ``shutdown_grace_s``, open sockets close with 1001 so clients
reconnect elsewhere, and the outbox gets one last chance to reach the database.
"""
from __future__ import annotations

import threading
import time

from functions.chat import history
from functions.chat.outbox import Outbox
from functions.chat.runs import Pipeline, RunManager
from functions.chat.settings import ChatSettings
from shared.logging import get_logger

log = get_logger("chat.service")

CLOSE_GOING_AWAY = 1001


class Connections:
    """The open sockets of this process."""

    def __init__(self) -> None:
        self._open: set = set()
        self._lock = threading.Lock()

    def add(self, connection) -> None:
        with self._lock:
            self._open.add(connection)

    def discard(self, connection) -> None:
        with self._lock:
            self._open.discard(connection)

    def __len__(self) -> int:
        return len(self._open)

    def close_all(self, code: int, reason: str) -> int:
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            connection.close(code, reason)
        return len(connections)


class ChatService:
    def __init__(self, settings: ChatSettings, pipeline: Pipeline | None = None):
        self.settings = settings
        self.started = time.monotonic()
        self.outbox = Outbox(settings.outbox_max, settings.outbox_flush_s)
        self.runs = RunManager(self.outbox, pipeline, max_queued=settings.max_queued_per_thread,
                               max_active=settings.max_active_runs, stop_grace_s=settings.stop_grace_s,
                               recent_runs=settings.recent_runs)
        self.owners = history.ThreadOwners()
        self.connections = Connections()
        self.draining = False
        self._shutdown_lock = threading.Lock()
        self.shutdown_done = threading.Event()

    def owner_of(self, thread_id: str) -> str | None:
        """Who owns a thread: remembered, else asked of the database (``DatabaseUnavailable`` if down)."""
        owner = self.owners.get(thread_id)
        if owner is None:
            owner = history.thread_owner(thread_id)
            if owner is not None:
                self.owners.remember(thread_id, owner)
        return owner

    def delete_thread(self, user_id: str, thread_id: str) -> bool:
        """Stop the thread's runs here, then delete it with everything in it; False if not the user's."""
        if self.owner_of(thread_id) != user_id:
            return False
        for run in self.runs.runs_on_thread(thread_id, user_id):
            self.runs.stop(run)
            run.done.wait(self.settings.stop_grace_s + 0.5)
        self.outbox.wait(self.outbox.last_seq, 5.0)  # the thread's queued writes land before it goes
        deleted = history.delete_thread(user_id, thread_id)
        self.owners.forget(thread_id)
        return deleted

    def shutdown(self) -> None:
        with self._shutdown_lock:
            if self.draining:
                return
            self.draining = True
        started = time.monotonic()
        log.info("shutting down: refusing new sockets", extra={"fields": {"connections": len(self.connections)}})
        interrupted = self.runs.interrupt_all(self.settings.shutdown_grace_s)
        closed = self.connections.close_all(CLOSE_GOING_AWAY, "server restarting")
        pending = self.outbox.drain(timeout_s=1.5)  # a last chance when the database is down
        self.outbox.stop()
        log.info("shut down", extra={"fields": {"runs_interrupted": interrupted, "sockets_closed": closed,
                                                "writes_lost": pending,
                                                "duration_s": round(time.monotonic() - started, 3)}})
        self.shutdown_done.set()
