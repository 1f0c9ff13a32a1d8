"""The event sequence every agent follows, and the one mapping of a failure to ``agent_error``.

``AgentRun(emitter, agent)`` emits ``agent_started`` ({"input": summary}), ``agent_thinking``
({"thought"}), ``tool_executing`` ({"tool", "args"}) then ``tool_completed`` ({"tool",
"duration_ms", "summary"}) around each ``tool(...)`` block, and ``agent_completed`` ({"summary",
"result"} plus any extra fields the agent names, e.g. the supervisor's ``answer``). Used as a context manager it turns a failure
into ``agent_error`` ({"code", "message"}, from ``failure``) before re-raising.

A cancelled run (``RunCancelled``) is reported once, by the run's root agent (the supervisor,
``root=True``); the agents under it stop without a word.
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Literal

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
from shared.errors import Failure
from shared.logging import get_logger

log = get_logger("agents")
CANCELLED = {"code": "cancelled", "message": "The run was stopped."}


def failure(exc: BaseException, agent: str) -> dict[str, str]:
    """What a client is told about ``exc``: an expected error keeps its code and message; a bug is
    ``internal_error`` naming only the agent and the exception's type (its text may hold internals)."""
    if isinstance(exc, RunCancelled):
        return dict(CANCELLED)
    if isinstance(exc, Failure):
        return {"code": exc.code, "message": exc.message}
    return {"code": "internal_error", "message": f"The {agent} agent failed: {type(exc).__name__}."}


class AgentRun:
    def __init__(self, emitter: Emitter, agent: str, *, root: bool = False):
        self.emitter = emitter
        self.agent = agent
        self.root = root

    def __enter__(self) -> AgentRun:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 _tb: TracebackType | None) -> Literal[False]:
        if exc is None or (isinstance(exc, RunCancelled) and not self.root):
            return False
        if not isinstance(exc, (Failure, RunCancelled)):
            log.exception("agent failed", exc_info=exc,
                          extra={"fields": {"agent": self.agent, "run_id": self.emitter.run_id}})
        self.emitter.emit(AGENT_ERROR, self.agent, failure(exc, self.agent))
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
        duration_ms = round((time.perf_counter() - started) * 1000, 3)
        self.emitter.emit(TOOL_COMPLETED, self.agent, {"tool": name, "duration_ms": duration_ms,
                                                        "summary": summary})

    def completed(self, summary: str | None, result: dict[str, Any], **extra: Any) -> None:
        """``summary`` None leaves it out: the supervisor's last word carries the ``answer`` instead."""
        self.emitter.checkpoint()
        head = {} if summary is None else {"summary": summary}
        self.emitter.emit(AGENT_COMPLETED, self.agent, {**head, "result": result, **extra})
