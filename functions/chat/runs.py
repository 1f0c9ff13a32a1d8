"""Agent runs: one pipeline at a time per thread, streamed to subscribers and persisted event by event.

Queueing policy: runs on a thread execute one after another in arrival order
(FIFO); a thread holds one running run and at most ``max_queued`` waiting ones,
beyond which ``submit`` raises ``QueueFull``. Different threads run in parallel,
at most ``max_active`` pipelines at once per process (they share a small
database pool and one core); the others wait for a slot, still stoppable.

Every run's stream ends with exactly one ``agent_completed`` from
``supervisor``. A completed run ends with the pipeline's own; a run that is
stopped, interrupted (shutdown) or fails gets an ``agent_error`` from
``supervisor`` (unless the pipeline already sent one) and a closing
``agent_completed`` whose payload has ``status`` (``cancelled``,
``interrupted``, ``failed``) and, for a failure, an ``answer`` explaining it (a refused
question, such as one naming a period out of range, in the refusal's own words).
A stop sets the emitter's cancel flag; if the pipeline has not reached a
checkpoint within ``stop_grace_s`` the run is closed without it and anything it
emits afterwards is dropped.

A run outlives the socket that started it: subscribers come and go, every event
is kept in memory (for ``resume`` on this instance) and written through the
outbox to ``run_events`` (for ``resume`` on any instance). The pipeline is a
parameter: ``pipeline(message, *, user_id, emitter, thread_id, context)``
returning an object with ``to_dict()`` (or a dict) holding ``answer``; by
default ``shared.agents.pipeline.execute.execute``, imported when first used.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from functions.chat import history
from functions.chat.outbox import Outbox
from functions.chat.protocol import frame
from shared.agents.pipeline.agent_run import failure
from shared.agents.pipeline.events import AGENT_COMPLETED, AGENT_ERROR, Emitter, Event, RunCancelled
from shared.errors import Failure
from shared.logging import get_logger

log = get_logger("chat.runs")

SUPERVISOR = "supervisor"  # the pipeline's root agent, whose events open and close every run
# The closing answer is stored before the client sees it (so that its next question comes after it
# in history); this bounds the wait when the writer is busy. A database outage ends the wait at once.
CLOSING_WRITE_WAIT_S = 5.0
Pipeline = Callable[..., Any]


def execute_pipeline(message: str, *, user_id: str, emitter: Emitter, thread_id: str | None = None,
                     context: dict | None = None) -> Any:
    """The real supervisor pipeline, imported on first use so the chat starts without it."""
    from shared.agents.pipeline.execute import execute
    return execute(message, user_id=user_id, emitter=emitter, thread_id=thread_id, context=context)


class Subscriber(Protocol):
    connection_id: str
    user_id: str

    def deliver(self, message: dict[str, Any]) -> bool:
        """Send one frame; False when the socket is gone."""

    def history_not_saved(self) -> None:
        """A write went to the outbox: tell the user once per outage."""


class QueueFull(Exception):
    pass


class ShuttingDown(Exception):
    pass


@dataclass(eq=False)
class LiveRun:
    run_id: str
    thread_id: str
    user_id: str
    message_id: str
    content: str
    context: dict | None
    status: str = "queued"
    cancel: threading.Event = field(default_factory=threading.Event)
    emitter: Emitter | None = None
    events: list[tuple[int, dict]] = field(default_factory=list)
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    done: threading.Event = field(default_factory=threading.Event)
    closed: bool = False  # the closing supervisor agent_completed has been streamed
    finalized: bool = False  # nothing more will be streamed or stored
    stop_reason: str | None = None
    error_code: str | None = None

    @property
    def ended(self) -> bool:
        return self.closed or self.finalized


@dataclass
class _Lane:
    current: LiveRun | None = None
    waiting: deque[LiveRun] = field(default_factory=deque)


def _tell_not_saved(subscribers: list[Subscriber]) -> None:
    for subscriber in subscribers:
        subscriber.history_not_saved()


def _seq(event_id: str) -> int:
    return int(event_id.rpartition("-")[2])


def _result_dict(result: Any) -> dict | None:
    if result is None:
        return None
    if hasattr(result, "to_dict"):
        return result.to_dict()
    if isinstance(result, dict):
        return result
    raise TypeError(f"the pipeline returned {type(result).__name__}, not a result")


class RunManager:
    def __init__(self, outbox: Outbox, pipeline: Pipeline | None = None, *, max_queued: int = 3,
                 max_active: int = 3, stop_grace_s: float = 0.6, recent_runs: int = 500):
        self.outbox = outbox
        self._slots = threading.BoundedSemaphore(max_active)
        self.pipeline = pipeline or execute_pipeline
        self.max_queued = max_queued
        self.stop_grace_s = stop_grace_s
        self.recent_runs = recent_runs
        self._lock = threading.Lock()
        self._lanes: dict[str, _Lane] = {}
        self._live: dict[str, LiveRun] = {}
        self._recent: OrderedDict[str, LiveRun] = OrderedDict()
        self._accepting = True

    # --- starting runs -------------------------------------------------------------------------
    def new_run(self, thread_id: str, user_id: str, message_id: str, content: str,
                context: dict | None) -> LiveRun:
        run = LiveRun(uuid.uuid4().hex, thread_id, user_id, message_id, content, context)
        run.emitter = Emitter(run_id=run.run_id, thread_id=thread_id, cancel=run.cancel,
                              sinks=[lambda event: self._on_event(run, event)])
        return run

    def check_capacity(self, thread_id: str) -> None:
        """Raise ``QueueFull`` or ``ShuttingDown`` if a new run on ``thread_id`` would be refused."""
        with self._lock:
            self._check(thread_id)

    def _check(self, thread_id: str) -> None:
        if not self._accepting:
            raise ShuttingDown()
        lane = self._lanes.get(thread_id)
        if lane is not None and lane.current is not None and len(lane.waiting) >= self.max_queued:
            raise QueueFull()

    def submit(self, run: LiveRun) -> int:
        """Start the run now (0) or queue it behind the thread's runs (its position, from 1)."""
        with self._lock:
            self._check(run.thread_id)
            self._live[run.run_id] = run
            lane = self._lanes.setdefault(run.thread_id, _Lane())
            if lane.current is None:
                lane.current = run
                position = 0
            else:
                lane.waiting.append(run)
                position = len(lane.waiting)
        if position == 0:
            self._start(run)
        return position

    def _start(self, run: LiveRun) -> None:
        threading.Thread(target=self._execute, args=(run,), name=f"run-{run.run_id[:8]}", daemon=True).start()

    def _execute(self, run: LiveRun) -> None:
        if not self._take_slot(run):
            self._finish(run, run.stop_reason or "cancelled")  # stopped before it could start
            return
        try:
            self._run_pipeline(run)
        finally:
            self._slots.release()

    def _take_slot(self, run: LiveRun) -> bool:
        """Wait for a free pipeline slot; False, holding none, if the run is stopped first."""
        while not self._slots.acquire(timeout=0.05):
            if run.cancel.is_set():
                return False
        if run.cancel.is_set():
            self._slots.release()
            return False
        return True

    def _run_pipeline(self, run: LiveRun) -> None:
        run.status = "running"
        self.outbox.write(history.run_update(run.run_id, "running", started=True))
        log.info("run started", extra={"fields": {"run_id": run.run_id, "user_id": run.user_id}})
        result, outcome, error = None, "completed", None
        assert run.emitter is not None  # new_run gives every run its emitter
        try:
            result = _result_dict(self.pipeline(run.content, user_id=run.user_id, emitter=run.emitter,
                                                thread_id=run.thread_id, context=run.context))
        except RunCancelled:
            outcome = run.stop_reason or "cancelled"
        except Exception as exc:  # reported to the user as a failure, in the agents' own words
            if not isinstance(exc, Failure):
                log.exception("pipeline failed", extra={"fields": {"run_id": run.run_id, "user_id": run.user_id}})
            outcome, error = "failed", failure(exc, SUPERVISOR)
        self._finish(run, outcome, result, error)

    # --- events --------------------------------------------------------------------------------
    def _on_event(self, run: LiveRun, event: Event) -> None:
        body, seq = event.to_dict(), _seq(event.event_id)
        closing = body["agent"] == SUPERVISOR and body["type"] == AGENT_COMPLETED
        with run.lock:
            if run.finalized or run.closed:
                return  # the stream has ended (or the run was stopped without the pipeline): drop it
            run.events.append((seq, body))
            if closing:
                # Stored before the client sees the end, so that what it asks next comes after it in history.
                run.closed = True
                self._store_closing(run, body, seq)
            for connection_id, subscriber in list(run.subscribers.items()):
                if not subscriber.deliver(body):
                    run.subscribers.pop(connection_id, None)
            subscribers = list(run.subscribers.values())
        if not closing:
            self.outbox.write(history.event_write(body, seq), lambda: _tell_not_saved(subscribers))

    def _store_closing(self, run: LiveRun, body: dict, seq: int) -> None:
        payload = body["payload"]
        run.status = payload.get("status") or "completed"
        result = payload.get("result") if isinstance(payload.get("result"), dict) else None
        answer = payload.get("answer") if "answer" in payload else (result or {}).get("answer")
        subscribers = list(run.subscribers.values())
        if answer is not None:
            self.outbox.write(history.message_write(
                uuid.uuid4().hex, run.thread_id, run.user_id, "assistant", str(answer), run_id=run.run_id,
                structured=result if run.status == "completed" else None))
        self.outbox.write(history.event_write(body, seq))
        last = self.outbox.write(history.run_update(run.run_id, run.status, finished=True, error=run.error_code))
        if not self.outbox.wait(last, CLOSING_WRITE_WAIT_S):
            _tell_not_saved(subscribers)

    def _close_stream(self, run: LiveRun, outcome: str, result: dict | None,
                      error: dict[str, str] | None) -> None:
        """Emit what a stream the pipeline did not close still lacks, ending with ``agent_completed``."""
        assert run.emitter is not None  # new_run gives every run its emitter
        emit = run.emitter.emit
        last = run.events[-1][1] if run.events else None
        errored = last is not None and last["agent"] == SUPERVISOR and last["type"] == AGENT_ERROR
        if outcome == "completed":
            emit(AGENT_COMPLETED, SUPERVISOR, {"answer": (result or {}).get("answer", ""), "result": result,
                                               "status": "completed"})
            return
        if outcome == "failed":
            error = error or failure(RuntimeError(), SUPERVISOR)
            code = run.error_code = error["code"]
            # a refused question (a period out of range) is answered in the refusal's own words
            answer = ("I could not finish this answer: the usage database is unavailable right now. "
                      "Please ask again in a moment." if code == "database_unavailable" else
                      f"I could not finish this answer because of an internal error (run {run.run_id})."
                      if code == "internal_error" else f"I could not answer this: {error['message']}")
            if not errored:
                emit(AGENT_ERROR, SUPERVISOR, error)
            emit(AGENT_COMPLETED, SUPERVISOR, {"status": "failed", "answer": answer, "result": None})
            return
        if run.events and not errored:
            emit(AGENT_ERROR, SUPERVISOR, {"code": outcome, "message": f"The run was {outcome}."})
        emit(AGENT_COMPLETED, SUPERVISOR, {"status": outcome, "answer": None, "result": None})

    def _finish(self, run: LiveRun, outcome: str, result: dict | None = None,
                error: dict[str, str] | None = None) -> None:
        with run.lock:
            if run.finalized:
                return
            if not run.closed:
                self._close_stream(run, outcome, result, error)
            run.finalized = True
            run.subscribers.clear()
        run.done.set()
        log.info("run finished", extra={"fields": {"run_id": run.run_id, "user_id": run.user_id,
                                                   "status": run.status}})
        self._retire(run)

    def _retire(self, run: LiveRun) -> None:
        following = None
        with self._lock:
            self._live.pop(run.run_id, None)
            self._recent[run.run_id] = run
            while len(self._recent) > self.recent_runs:
                self._recent.popitem(last=False)
            lane = self._lanes.get(run.thread_id)
            if lane is not None:
                if lane.current is run:
                    lane.current = lane.waiting.popleft() if lane.waiting else None
                    following = lane.current
                elif run in lane.waiting:
                    lane.waiting.remove(run)
                if lane.current is None and not lane.waiting:
                    del self._lanes[run.thread_id]
        if following is not None:
            self._start(following)

    # --- control -------------------------------------------------------------------------------
    def find(self, run_id: str, user_id: str) -> LiveRun | None:
        """The user's run if this instance has it in memory (live or recently finished)."""
        with self._lock:
            run = self._live.get(run_id) or self._recent.get(run_id)
        return run if run is not None and run.user_id == user_id else None

    def stop(self, run: LiveRun, reason: str = "cancelled") -> None:
        """End ``run`` as ``reason``: at once if it is waiting, within ``stop_grace_s`` if it runs."""
        with self._lock:
            lane = self._lanes.get(run.thread_id)
            waiting = lane is not None and run in lane.waiting
            if lane is not None and waiting:
                lane.waiting.remove(run)
        if waiting:
            self._finish(run, reason)
            return
        if run.ended:
            return
        run.stop_reason = reason
        run.cancel.set()
        timer = threading.Timer(self.stop_grace_s, self._force_stop, (run, reason))
        timer.daemon = True
        timer.start()

    def _force_stop(self, run: LiveRun, reason: str) -> None:
        if not run.done.is_set():
            log.warning("pipeline did not reach a checkpoint in time; run closed without it",
                        extra={"fields": {"run_id": run.run_id, "status": reason}})
            self._finish(run, reason)

    def attach(self, run: LiveRun, subscriber: Subscriber, after_seq: int) -> None:
        """Replay the run's events after ``after_seq``, then ``resumed``, then (if live) stream on."""
        with run.lock:
            replay = [body for seq, body in run.events if seq > after_seq]
            for body in replay:
                subscriber.deliver(body)
            live = not run.ended
            subscriber.deliver(frame("resumed", run_id=run.run_id, thread_id=run.thread_id, status=run.status,
                                     replayed=len(replay), live=live))
            if live:
                run.subscribers[subscriber.connection_id] = subscriber

    def detach(self, connection_id: str) -> None:
        with self._lock:
            runs = list(self._live.values())
        for run in runs:
            with run.lock:
                run.subscribers.pop(connection_id, None)

    def interrupt_all(self, grace_s: float) -> int:
        """Refuse new runs; end every waiting and running run ``interrupted`` within ``grace_s``."""
        with self._lock:
            self._accepting = False
            running = [lane.current for lane in self._lanes.values() if lane.current is not None]
            waiting = [run for lane in self._lanes.values() for run in lane.waiting]
            for lane in self._lanes.values():
                lane.waiting.clear()
        for run in waiting:
            self._finish(run, "interrupted")
        for run in running:
            run.stop_reason = "interrupted"
            run.cancel.set()
        deadline = time.monotonic() + grace_s
        for run in running:
            run.done.wait(max(0.0, deadline - time.monotonic()))
        for run in running:
            self._finish(run, "interrupted")
        return len(running) + len(waiting)

    def runs_on_thread(self, thread_id: str, user_id: str) -> list[LiveRun]:
        with self._lock:
            return [run for run in self._live.values() if run.thread_id == thread_id and run.user_id == user_id]

    def active_runs(self) -> int:
        with self._lock:
            return len(self._live)
