"""Small pipelines for the chat's plumbing tests: they emit real envelope events through the real Emitter.

They follow the execute contract: ``agent_started`` from ``supervisor`` first,
sub-agent events in between, ``agent_completed`` from ``supervisor`` last with
``{"answer", "result"}``; on ``RunCancelled`` an ``agent_error {"code":
"cancelled"}`` from ``supervisor``, then re-raise.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from shared.agents.pipeline.events import (
    AGENT_COMPLETED,
    AGENT_ERROR,
    AGENT_STARTED,
    AGENT_THINKING,
    TOOL_COMPLETED,
    TOOL_EXECUTING,
    Emitter,
    RunCancelled,
)
from shared.db import DatabaseUnavailable, transaction
from shared.db.schema import usage_records


@dataclass
class Result:
    answer: str
    category: str = "help"
    records: int | None = None

    def to_dict(self) -> dict:
        return {"answer": self.answer, "category": self.category, "triage": {"category": self.category},
                "data": None if self.records is None else {"records": self.records},
                "optimization": None, "report": {"markdown": self.answer}}


def _triage(emitter: Emitter, message: str) -> None:
    emitter.emit(AGENT_STARTED, "triage", {"input": message[:80]})
    emitter.emit(AGENT_THINKING, "triage", {"thought": "Which question is this?"})
    emitter.emit(TOOL_EXECUTING, "triage", {"tool": "classify", "args": {"chars": len(message)}})
    emitter.emit(TOOL_COMPLETED, "triage", {"tool": "classify", "duration_ms": 0.4, "summary": {"category": "help"}})
    emitter.emit(AGENT_COMPLETED, "triage", {"summary": "help", "result": {"category": "help"}})


def _answer(emitter: Emitter, result: Result) -> Result:
    emitter.emit(AGENT_COMPLETED, "supervisor", {"answer": result.answer, "result": result.to_dict()})
    return result


def quick_pipeline(message, *, user_id, emitter: Emitter, thread_id=None, context=None) -> Result:
    """Seven events, no waiting: supervisor start, five triage events, supervisor answer."""
    emitter.emit(AGENT_STARTED, "supervisor", {"input": message[:80]})
    emitter.checkpoint()
    _triage(emitter, message)
    emitter.checkpoint()
    return _answer(emitter, Result(f"Answer to: {message}"))


def _cancelled(emitter: Emitter) -> None:
    emitter.emit(AGENT_ERROR, "supervisor", {"code": "cancelled", "message": "Stopped on request."})


class GatedPipeline:
    """Starts, then waits (checking for a stop every 10 ms) until the test opens the gate of its message."""

    def __init__(self) -> None:
        self._gates: dict[str, threading.Event] = {}
        self._lock = threading.Lock()
        self.started: list[str] = []
        self.started_event = threading.Event()

    def gate(self, message: str) -> threading.Event:
        with self._lock:
            return self._gates.setdefault(message, threading.Event())

    def __call__(self, message, *, user_id, emitter: Emitter, thread_id=None, context=None) -> Result:
        emitter.emit(AGENT_STARTED, "supervisor", {"input": message[:80]})
        self.started.append(message)
        self.started_event.set()
        try:
            while not self.gate(message).wait(0.01):
                emitter.checkpoint()
        except RunCancelled:
            _cancelled(emitter)
            raise
        _triage(emitter, message)
        return _answer(emitter, Result(f"Answer to: {message}"))


class SteppedPipeline:
    """Emits one more event each time the test calls ``step()``; ten events in all (supervisor last)."""

    EVENTS = 10

    def __init__(self) -> None:
        self._permits = threading.Semaphore(0)

    def step(self, n: int = 1) -> None:
        for _ in range(n):
            self._permits.release()

    def __call__(self, message, *, user_id, emitter: Emitter, thread_id=None, context=None) -> Result:
        def wait() -> None:
            while not self._permits.acquire(timeout=0.01):
                emitter.checkpoint()

        try:
            wait()
            emitter.emit(AGENT_STARTED, "supervisor", {"input": message[:80]})
            for i in range(self.EVENTS - 2):
                wait()
                emitter.emit(AGENT_THINKING, "data", {"thought": f"step {i + 1}"})
            wait()
        except RunCancelled:
            _cancelled(emitter)
            raise
        return _answer(emitter, Result(f"Answer to: {message}"))


def stubborn_pipeline(message, *, user_id, emitter: Emitter, thread_id=None, context=None) -> Result:
    """Never reaches a checkpoint for 3 s: a stop must still end the run in time without it."""
    emitter.emit(AGENT_STARTED, "supervisor", {"input": message[:80]})
    time.sleep(3)
    _triage(emitter, message)
    return _answer(emitter, Result("late"))


def failing_pipeline(message, *, user_id, emitter: Emitter, thread_id=None, context=None) -> Result:
    emitter.emit(AGENT_STARTED, "supervisor", {"input": message[:80]})
    raise KeyError("a bug in an agent")


def counting_pipeline(message, *, user_id, emitter: Emitter, thread_id=None, context=None) -> Result:
    """Triage needs no database; counting the user's records does. Database down: answers what it can."""
    emitter.emit(AGENT_STARTED, "supervisor", {"input": message[:80]})
    _triage(emitter, message)
    emitter.emit(AGENT_STARTED, "data", {"input": "count records"})
    try:
        with transaction() as conn:
            records = conn.execute(select(func.count()).select_from(usage_records)
                                   .where(usage_records.c.user_id == user_id)).scalar_one()
    except DatabaseUnavailable as exc:
        emitter.emit(AGENT_ERROR, "data", {"code": "database_unavailable", "message": exc.reason})
        return _answer(emitter, Result("Your usage data is unavailable right now; triage says this is a "
                                       "help question.", records=None))
    emitter.emit(AGENT_COMPLETED, "data", {"summary": f"{records} records", "result": {"records": records}})
    return _answer(emitter, Result(f"You have {records} usage records.", records=records))


def slow_pipeline(message, *, user_id, emitter: Emitter, thread_id=None, context=None) -> Result:
    """Runs for up to 60 s unless stopped: for shutdown tests in a server process."""
    emitter.emit(AGENT_STARTED, "supervisor", {"input": message[:80]})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            emitter.checkpoint()
            time.sleep(0.05)
    except RunCancelled:
        _cancelled(emitter)
        raise
    return _answer(emitter, Result("slow answer"))
