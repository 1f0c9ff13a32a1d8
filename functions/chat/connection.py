"""One WebSocket session: the first frame, the receive loop, dispatch, and a thread-safe sender.

The session holds no database connection: each message that needs the
database opens a short transaction through the history. A frame the server
cannot act on is answered with ``error {code}`` and the socket stays open;
nothing here closes with 1011. The session ends when the client leaves, when
the access token expires (close 4401), or at shutdown (close 1001).
"""
from __future__ import annotations

import json
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

from simple_websocket import ConnectionClosed

from functions.chat import compat, history, protocol
from functions.chat.protocol import ProtocolError, error_frame, frame
from functions.chat.runs import QueueFull, ShuttingDown
from functions.chat.settings import PROTOCOL_VERSION
from functions.chat.socket_auth import SocketIdentity
from shared.clock import utc_now_iso
from shared.db import DatabaseUnavailable
from shared.logging import get_logger

if TYPE_CHECKING:
    from functions.chat.instance import ChatService

log = get_logger("chat.connection")

CLOSE_GOING_AWAY = 1001
CLOSE_UNAUTHORIZED = 4401
NOTICE_NOT_SAVED = ("The database is unavailable: answers still come, but this conversation is not saved "
                    "yet. It will be saved when the database is back.")


class Connection:
    def __init__(self, ws, identity: SocketIdentity, service: ChatService):
        self.ws = ws
        compat.install_session_socket(ws)
        self.service = service
        self.principal = identity.principal
        self.user_id = identity.principal.user_id
        self.connection_id = uuid.uuid4().hex
        self.open = True
        self._ended = threading.Event()
        self._send_lock = threading.Lock()
        self._notice_lock = threading.Lock()
        self._notice_epoch: int | None = None

    # --- sending -------------------------------------------------------------------------------
    def deliver(self, message: dict[str, Any]) -> bool:
        data = json.dumps(message, default=str)
        with self._send_lock:
            if not self.open:
                return False
            try:
                self.ws.send(data)
            except (ConnectionClosed, OSError):
                self.open = False
                return False
        return True

    def history_not_saved(self) -> None:
        with self._notice_lock:
            epoch = self.service.outbox.epoch
            if self._notice_epoch == epoch:
                return
            self._notice_epoch = epoch
        self.deliver(frame("notice", code="history_not_saved", message=NOTICE_NOT_SAVED))

    def close(self, code: int, reason: str) -> None:
        with self._send_lock:
            if not self.open:
                return
            self.open = False
            try:
                self.ws.close(code, reason)
            except (ConnectionClosed, OSError):
                pass
        compat.wake_receiver(self.ws)  # the receive loop is waiting for the client

    def _expire(self) -> None:
        """Close with 4401 when the token expires, unless the session ended before."""
        if not self._ended.wait(max(0.0, self.principal.expires_at.timestamp() - time.time())):
            self.close(CLOSE_UNAUTHORIZED, "access token expired")

    # --- the session ---------------------------------------------------------------------------
    def serve(self) -> None:
        """The receive loop; without a timeout, so an idle socket costs nothing until a frame arrives."""
        self.service.connections.add(self)
        log.info("socket opened", extra={"fields": {"connection_id": self.connection_id, "user_id": self.user_id}})
        threading.Thread(target=self._expire, name=f"expiry-{self.connection_id[:8]}", daemon=True).start()
        try:
            self.deliver(frame("connection_established", connection_id=self.connection_id, user_id=self.user_id,
                               protocol_version=PROTOCOL_VERSION, server_time=utc_now_iso()))
            while self.open:
                raw = self.ws.receive()
                if raw is not None and self.open:
                    self.handle(raw)
        except ConnectionClosed:
            pass
        finally:
            self.open = False
            self._ended.set()
            self.service.connections.discard(self)
            self.service.runs.detach(self.connection_id)
            log.info("socket closed", extra={"fields": {"connection_id": self.connection_id,
                                                        "user_id": self.user_id}})

    def handle(self, raw: str | bytes) -> None:
        try:
            message = protocol.parse(raw)
            self.dispatch(message)
        except ProtocolError as exc:
            self.deliver(error_frame(exc.code, exc.message, exc.details))
        except DatabaseUnavailable:
            self.deliver(error_frame("database_unavailable",
                                     "The database is unavailable; this request needs it. Try again shortly."))
        except Exception:  # a bug: logged with its stack; the client gets an error frame, never a 1011
            log.exception("socket message failed", extra={"fields": {"connection_id": self.connection_id,
                                                                     "user_id": self.user_id}})
            self.deliver(error_frame("internal_error", "The server could not handle this message."))

    def dispatch(self, message: protocol.ClientMessage) -> None:
        if isinstance(message, protocol.Ping):
            self.deliver(frame("pong", server_time=utc_now_iso(), **message.echo))
        elif isinstance(message, protocol.UserMessage):
            self.user_message(message)
        elif isinstance(message, protocol.StopAgent):
            self.stop_agent(message.run_id)
        elif isinstance(message, protocol.GetThreadHistory):
            self.thread_history(message.thread_id)
        elif isinstance(message, protocol.Resume):
            self.resume(message)

    # --- messages ------------------------------------------------------------------------------
    def user_message(self, message: protocol.UserMessage) -> None:
        service, runs, outbox = self.service, self.service.runs, self.service.outbox
        thread_id = message.thread_id
        if thread_id is not None and service.owner_of(thread_id) != self.user_id:
            raise ProtocolError("not_found", "There is no such thread.", {"thread_id": thread_id})
        new_thread = thread_id is None
        thread_id = thread_id or uuid.uuid4().hex
        try:
            runs.check_capacity(thread_id)
        except QueueFull:
            raise _queue_full(runs.max_queued) from None
        except ShuttingDown:
            raise _shutting_down() from None
        if new_thread:
            outbox.write(history.thread_write(thread_id, self.user_id, message.content[:80]), self.history_not_saved)
            service.owners.remember(thread_id, self.user_id)
        message_id = uuid.uuid4().hex
        run = runs.new_run(thread_id, self.user_id, message_id, message.content, message.context)
        outbox.write(history.message_write(message_id, thread_id, self.user_id, "user", message.content,
                                         run_id=run.run_id, client_message_id=message.client_message_id),
                     self.history_not_saved)
        outbox.write(history.run_write(run.run_id, thread_id, self.user_id, message_id, "queued"))
        run.subscribers[self.connection_id] = self
        with run.lock:  # the acknowledgement goes out before the run's first event
            try:
                position = runs.submit(run)
            except (QueueFull, ShuttingDown) as exc:
                outbox.write(history.run_update(run.run_id, "rejected", finished=True))
                raise (_queue_full(runs.max_queued) if isinstance(exc, QueueFull) else _shutting_down()) from None
            self.deliver(frame("message_received", thread_id=thread_id, run_id=run.run_id, message_id=message_id,
                               client_message_id=message.client_message_id, queued=position > 0,
                               position=position))

    def stop_agent(self, run_id: str) -> None:
        run = self.service.runs.find(run_id, self.user_id)
        if run is None:
            record = history.run_record(self.user_id, run_id)
            if record is None:
                raise ProtocolError("not_found", "There is no such run.", {"run_id": run_id})
            raise ProtocolError("run_not_active", "The run is not running on this server.",
                                {"run_id": run_id, "status": record["status"]})
        if run.ended:
            raise ProtocolError("run_not_active", "The run has already ended.",
                                {"run_id": run_id, "status": run.status})
        self.deliver(frame("stop_requested", run_id=run_id))
        self.service.runs.stop(run)

    def thread_history(self, thread_id: str) -> None:
        thread = history.thread_with_messages(self.user_id, thread_id)
        if thread is None:
            raise ProtocolError("not_found", "There is no such thread.", {"thread_id": thread_id})
        self.deliver(frame("thread_history", thread_id=thread_id, **thread))

    def resume(self, message: protocol.Resume) -> None:
        run = self.service.runs.find(message.run_id, self.user_id)
        if run is not None:
            self.service.runs.attach(run, self, message.after_seq)
            return
        record = history.run_record(self.user_id, message.run_id)
        if record is None:
            raise ProtocolError("not_found", "There is no such run.", {"run_id": message.run_id})
        events = history.events_after(message.run_id, message.after_seq)
        for event in events:
            self.deliver(event)
        self.deliver(frame("resumed", run_id=message.run_id, thread_id=record["thread_id"],
                           status=record["status"], replayed=len(events), live=False))


def _queue_full(limit: int) -> ProtocolError:
    return ProtocolError("queue_full", "This thread already has the most questions waiting; "
                                       "wait for an answer or stop a run.", {"max_queued": limit})


def _shutting_down() -> ProtocolError:
    return ProtocolError("shutting_down", "The server is restarting; reconnect and send again.")
