"""The supervisor: triage → data → optimization → report for one question, as one run of events.

``execute(message, user_id=, emitter=, thread_id=, context=)`` emits ``agent_started`` (agent
``supervisor``) first, then the sub-agents' events, and ``agent_completed`` (``supervisor``) last
with ``{"answer": markdown, "result": ExecuteResult.to_dict()}``.

- Steps come from triage: ``help``/``out_of_scope`` go straight to the report; a range with no
  records (``data_sufficiency`` ``none``) gets the import guide; otherwise data, then optimization
  for the categories that ask for savings (only the levers the category is about, see ``plan``).
- ``context``: ``time_range {start, end}`` (overrides the message's range) and ``now``, as ISO
  strings; values that do not parse are ignored here (the HTTP layer rejects them with 422).
- The database going down during data or optimization is not fatal: that agent ends with
  ``agent_error {"code": "database_unavailable"}`` and the answer says the data is unavailable.
- Cancellation (``emitter.cancel``) is honoured at every checkpoint: the run emits only
  ``agent_error {"code": "cancelled"}`` from the supervisor and re-raises ``RunCancelled``.
  Any other failure emits ``agent_error`` from the supervisor (the error's code, or
  ``internal_error`` for a bug) and re-raises.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from shared.agents.http.request import parse_utc
from shared.agents.data.agent import analyze
from shared.agents.pipeline.events import AGENT_COMPLETED, AGENT_ERROR, AGENT_STARTED, AGENT_THINKING, Emitter, RunCancelled
from shared.agents.optimization import optimize
from shared.agents.pipeline.plan import DIRECT_CATEGORIES, analysis_range, levers_for
from shared.agents.report.agent import as_dict, report
from shared.agents.triage.agent import triage
from shared.db import DatabaseUnavailable
from shared.errors import HTTPError
from shared.logging import get_logger

SUPERVISOR = "supervisor"
log = get_logger("agents.execute")


@dataclass(frozen=True)
class ExecuteResult:
    answer: str
    category: str
    triage: dict[str, Any]
    data: dict[str, Any] | None
    optimization: dict[str, Any] | None
    report: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _moment(value: Any) -> datetime | None:
    try:
        return parse_utc(value) if value is not None else None
    except ValueError:
        return None


def context_range(context: dict[str, Any]) -> tuple[datetime, datetime] | None:
    raw = context.get("time_range")
    if not isinstance(raw, dict):
        return None
    start, end = _moment(raw.get("start")), _moment(raw.get("end"))
    return (start, end) if start and end and start < end else None


def _failed(emitter: Emitter, agent: str, exc: DatabaseUnavailable) -> None:
    """Make sure the failing agent's last word is an agent_error, whether or not it said so itself."""
    last = emitter.events[-1] if emitter.events else None
    if last is None or last.agent != agent or last.type != AGENT_ERROR:
        emitter.emit(AGENT_ERROR, agent, {"code": exc.code, "message": exc.message})
    log.warning("agent could not reach the database", extra={"fields": {
        "agent": agent, "run_id": emitter.run_id, "reason": exc.reason}})


def _pipeline(message: str, user_id: str, emitter: Emitter, context: dict[str, Any]) -> ExecuteResult:
    now = _moment(context.get("now"))
    requested = context_range(context)
    emitter.checkpoint()
    triaged = triage(message, emitter=emitter, user_id=user_id, now=now, context=context)
    facts = triaged.to_dict()
    category, next_agents = facts["category"], list(facts.get("next_agents") or [])
    data = optimization = None
    data_error = optimization_error = None
    if category in DIRECT_CATEGORIES or facts.get("data_sufficiency") == "none":
        steps = []
    else:
        steps = [step for step in ("data", "optimization") if step in next_agents]
    start, end = analysis_range(facts, requested, now)
    emitter.emit(AGENT_THINKING, SUPERVISOR, {"thought": (
        f"Category {category}; running {' → '.join(steps + ['report'])}"
        + (f" over {start.isoformat()} to {end.isoformat()}." if steps else "."))})
    if steps:
        emitter.checkpoint()
        try:
            data = analyze(user_id, start, end, emitter=emitter)
        except DatabaseUnavailable as exc:
            _failed(emitter, "data", exc)
            data_error = exc.code
    if data is not None and "optimization" in steps and as_dict(data)["totals"].get("requests"):
        emitter.checkpoint()
        try:
            optimization = optimize(user_id, start, end, emitter=emitter, data=data, levers=levers_for(category))
        except DatabaseUnavailable as exc:
            _failed(emitter, "optimization", exc)
            optimization_error = "the database became unavailable while pricing the savings"
    emitter.checkpoint()
    answer = report(message, emitter=emitter, triage=triaged, data=data, optimization=optimization,
                    data_error=data_error, optimization_error=optimization_error)
    emitter.checkpoint()
    return ExecuteResult(answer.markdown, category, facts, as_dict(data), as_dict(optimization), answer.to_dict())


def execute(message: str, *, user_id: str, emitter: Emitter, thread_id: str | None = None,
            context: dict | None = None) -> ExecuteResult:
    if thread_id and emitter.thread_id is None:
        emitter.thread_id = thread_id
    started = time.perf_counter()
    text = message if isinstance(message, str) else repr(message)
    summary = text if len(text) <= 200 else text[:197] + "..."
    emitter.emit(AGENT_STARTED, SUPERVISOR, {"input": summary})
    try:
        result = _pipeline(message, user_id, emitter, dict(context or {}))
    except RunCancelled:
        emitter.emit(AGENT_ERROR, SUPERVISOR, {"code": "cancelled", "message": "The run was stopped."})
        raise
    except HTTPError as exc:  # e.g. a context the agents reject: the caller's mistake, not a bug
        emitter.emit(AGENT_ERROR, SUPERVISOR, {"code": exc.code, "message": exc.message})
        raise
    except Exception as exc:
        log.exception("run failed", extra={"fields": {"run_id": emitter.run_id, "user_id": user_id}})
        emitter.emit(AGENT_ERROR, SUPERVISOR, {"code": "internal_error",
                                               "message": f"The run failed: {type(exc).__name__}."})
        raise
    emitter.emit(AGENT_COMPLETED, SUPERVISOR, {"answer": result.answer, "result": result.to_dict()})
    log.info("run completed", extra={"fields": {
        "run_id": emitter.run_id, "user_id": user_id, "category": result.category,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1)}})
    return result
