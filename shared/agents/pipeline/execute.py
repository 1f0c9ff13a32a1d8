"""The supervisor: triage → data → optimization → report for one question, as one run of events.

``execute(message, user_id=, emitter=, thread_id=, context=)`` emits ``agent_started`` (agent
``supervisor``) first, then the sub-agents' events, and ``agent_completed`` (``supervisor``) last
with ``{"answer": markdown, "result": ExecuteResult.to_dict()}``.

- Steps come from triage: ``help``/``out_of_scope`` go straight to the report; a range with no
  records (``data_sufficiency`` ``none``) gets the import guide; otherwise data, then optimization
  for the categories that ask for savings (only the levers the category is about, see ``plan``).
- ``context``: ``time_range {start, end}`` (overrides the message's range) and ``now``, validated
  by the one request parser (``shared.agents.http.request``): a bad one ends the run with
  ``agent_error {"code": "validation_failed"}`` from the supervisor, as it is a 422 over HTTP.
- The database going down during data or optimization is not fatal: that agent ends with
  ``agent_error {"code": "database_unavailable"}`` and the answer says the data is unavailable.
- Every ``agent_error`` comes from ``AgentRun`` (``pipeline.agent_run``): a cancellation is
  reported once, by the supervisor (``cancelled``), and ``RunCancelled`` is re-raised; any other
  failure is reported by the agent it happened in and by the supervisor, then re-raised.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from shared.agents.data.agent import analyze
from shared.agents.http.request import AgentRequest, parse_agent_request
from shared.agents.optimization import optimize
from shared.agents.pipeline.agent_run import AgentRun
from shared.agents.pipeline.events import Emitter
from shared.agents.pipeline.plan import DIRECT_CATEGORIES, analysis_range, levers_for
from shared.agents.report.agent import as_dict, report
from shared.agents.triage.agent import triage
from shared.db import DatabaseUnavailable
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


def _unavailable(emitter: Emitter, agent: str, exc: DatabaseUnavailable) -> None:
    log.warning("agent could not reach the database", extra={"fields": {
        "agent": agent, "run_id": emitter.run_id, "reason": exc.reason}})


def _pipeline(request: AgentRequest, user_id: str, run: AgentRun) -> ExecuteResult:
    emitter = run.emitter
    emitter.checkpoint()
    triaged = triage(request.message, emitter=emitter, user_id=user_id, now=request.now,
                     time_range=request.time_range)
    facts = triaged.to_dict()
    category, next_agents = facts["category"], list(facts.get("next_agents") or [])
    data = optimization = None
    data_error = optimization_error = None
    if category in DIRECT_CATEGORIES or facts.get("data_sufficiency") == "none":
        steps = []
    else:
        steps = [step for step in ("data", "optimization") if step in next_agents]
    start, end = analysis_range(facts, request.time_range, request.now)
    run.think(f"Category {category}; running {' → '.join(steps + ['report'])}"
              + (f" over {start.isoformat()} to {end.isoformat()}." if steps else "."))
    if steps:
        emitter.checkpoint()
        try:
            data = analyze(user_id, start, end, emitter=emitter)
        except DatabaseUnavailable as exc:
            _unavailable(emitter, "data", exc)
            data_error = exc.code
    if data is not None and "optimization" in steps and as_dict(data)["totals"].get("requests"):
        emitter.checkpoint()
        try:
            optimization = optimize(user_id, start, end, emitter=emitter, data=data, levers=levers_for(category))
        except DatabaseUnavailable as exc:
            _unavailable(emitter, "optimization", exc)
            optimization_error = "the database became unavailable while pricing the savings"
    emitter.checkpoint()
    answer = report(request.message, emitter=emitter, triage=triaged, data=data, optimization=optimization,
                    data_error=data_error, optimization_error=optimization_error)
    return ExecuteResult(answer.markdown, category, facts, as_dict(data), as_dict(optimization), answer.to_dict())


def execute(message: str, *, user_id: str, emitter: Emitter, thread_id: str | None = None,
            context: dict | None = None) -> ExecuteResult:
    if thread_id and emitter.thread_id is None:
        emitter.thread_id = thread_id
    started = time.perf_counter()
    text = message if isinstance(message, str) else repr(message)
    with AgentRun(emitter, SUPERVISOR, root=True) as run:
        run.started(text if len(text) <= 200 else text[:197] + "...")
        request = parse_agent_request({"message": message, "thread_id": thread_id, "context": context})
        result = _pipeline(request, user_id, run)
        run.completed(None, result.to_dict(), answer=result.answer)
    log.info("run completed", extra={"fields": {
        "run_id": emitter.run_id, "user_id": user_id, "category": result.category,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1)}})
    return result
