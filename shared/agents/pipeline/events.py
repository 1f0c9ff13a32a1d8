"""The one event envelope every agent emits, and the emitter that stamps it.

``{type, event_id, run_id, thread_id, agent, timestamp, payload}``; ``event_id``
is ``<run_id>-<sequence>`` with a zero-padded sequence, so ids sort in emission
order within a run (what ``resume`` relies on). The same envelope travels over
the WebSocket, Server-Sent Events and plain HTTP.
"""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from shared.clock import utc_now_iso

AGENT_STARTED = "agent_started"
AGENT_THINKING = "agent_thinking"
TOOL_EXECUTING = "tool_executing"
TOOL_COMPLETED = "tool_completed"
AGENT_COMPLETED = "agent_completed"
AGENT_ERROR = "agent_error"
EVENT_TYPES = (AGENT_STARTED, AGENT_THINKING, TOOL_EXECUTING, TOOL_COMPLETED, AGENT_COMPLETED, AGENT_ERROR)


class RunCancelled(Exception):
    """Raised at the next checkpoint after a run was asked to stop."""


@dataclass(frozen=True)
class Event:
    type: str
    event_id: str
    run_id: str
    thread_id: str | None
    agent: str
    timestamp: str
    payload: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Emitter:
    """Stamps events for one run, keeps them in order and hands each to the sinks.

    ``sinks`` are callables taking an ``Event`` (a WebSocket sender, an SSE queue,
    a database writer). ``cancel`` is checked by agents between steps.
    """
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    thread_id: str | None = None
    sinks: list[Callable[[Event], None]] = field(default_factory=list)
    cancel: threading.Event = field(default_factory=threading.Event)
    events: list[Event] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def emit(self, type: str, agent: str, payload: dict[str, Any] | None = None) -> Event:
        if type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {type!r}")
        with self._lock:
            event = Event(type, f"{self.run_id}-{len(self.events) + 1:05d}", self.run_id, self.thread_id,
                          agent, utc_now_iso(), payload or {})
            self.events.append(event)
        for sink in self.sinks:
            sink(event)
        return event

    def checkpoint(self) -> None:
        """Raise ``RunCancelled`` if the run was asked to stop."""
        if self.cancel.is_set():
            raise RunCancelled(self.run_id)
