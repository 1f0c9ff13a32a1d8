"""The event sequence an analysis agent follows, in one place.

``AgentRun(emitter, agent)`` emits ``agent_started`` ({"input": summary}), ``agent_thinking``
({"thought"}), ``tool_executing`` ({"tool", "args"}) then ``tool_completed`` ({"tool",
"duration_ms", "summary"}) around each ``tool(...)`` block, and ``agent_completed`` ({"summary",
"result"}). Used as a context manager it turns a failure into ``agent_error`` ({"code",
"message"}) before re-raising: ``database_unavailable`` and the other HTTP errors keep their code,
anything else is ``internal_error``. A cancelled run (``RunCancelled``) emits nothing more: the
supervisor reports the cancellation once, for the whole run.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Any, Iterator

from shared.agents.pipeline.events import (
    AGENT_COMPLETED, AGENT_ERROR, AGENT_STARTED, AGENT_THINKING, TOOL_COMPLETED, TOOL_EXECUTING,
    Emitter, RunCancelled,
)
from shared.errors import HTTPError
from shared.logging import get_logger

log = get_logger("agents")


class AgentRun:
    def __init__(self, emitter: Emitter, agent: str):
        self.emitter = emitter
        self.agent = agent

    def __enter__(self) -> "AgentRun":
        return self

    def __exit__(self, kind, exc, _tb) -> bool:
        if exc is None or isinstance(exc, RunCancelled):
            return False
        if isinstance(exc, HTTPError):
            code, message = exc.code, exc.message
        else:
            code, message = "internal_error", f"The {self.agent} agent failed: {type(exc).__name__}."
            log.exception("agent failed", extra={"fields": {"agent": self.agent, "run_id": self.emitter.run_id}})
        self.emitter.emit(AGENT_ERROR, self.agent, {"code": code, "message": message})
        return False

    def started(self, summary: str) -> None:
        self.emitter.emit(AGENT_STARTED, self.agent, {"input": summary})

    def think(self, thought: str) -> None:
        self.emitter.checkpoint()
        self.emitter.emit(AGENT_THINKING, self.agent, {"thought": thought})

    @contextmanager
    def tool(self, name: str, args: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Wraps one tool call; fill the yielded dict with the summary ``tool_completed`` reports."""
        self.emitter.checkpoint()
        self.emitter.emit(TOOL_EXECUTING, self.agent, {"tool": name, "args": args})
        summary: dict[str, Any] = {}
        started = time.perf_counter()
        yield summary
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        self.emitter.emit(TOOL_COMPLETED, self.agent, {"tool": name, "duration_ms": duration_ms,
                                                        "summary": summary})

    def completed(self, summary: str, result: dict[str, Any]) -> None:
        self.emitter.checkpoint()
        self.emitter.emit(AGENT_COMPLETED, self.agent, {"summary": summary, "result": result})
