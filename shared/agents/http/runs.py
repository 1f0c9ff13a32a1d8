"""One validated request → one agent run, as the agent functions expose them.

- ``run_triage``: the triage agent alone (it still answers when the database is down).
- ``run_data`` / ``run_optimization``: triage resolves the question's range (a ``context.time_range``
  wins) and, for optimization, which levers the question is about; then the agent runs over that
  range. Their events are triage's followed by the agent's. The database being down raises
  ``DatabaseUnavailable`` (503 ``database_unavailable``).
- ``run_execute``: the whole supervisor pipeline.
"""
from __future__ import annotations

from shared.agents.http.request import AgentRequest
from shared.agents.data.agent import DataResult, analyze
from shared.agents.pipeline.events import Emitter
from shared.agents.pipeline.execute import ExecuteResult, execute
from shared.agents.optimization import OptimizationResult, optimize
from shared.agents.pipeline.plan import analysis_range, levers_for
from shared.agents.triage.agent import TriageResult, triage


def run_triage(request: AgentRequest, user_id: str, emitter: Emitter) -> TriageResult:
    return triage(request.message, emitter=emitter, user_id=user_id, now=request.now,
                  time_range=request.time_range)


def run_data(request: AgentRequest, user_id: str, emitter: Emitter) -> DataResult:
    facts = run_triage(request, user_id, emitter).to_dict()
    start, end = analysis_range(facts, request.time_range, request.now)
    emitter.checkpoint()
    return analyze(user_id, start, end, emitter=emitter)


def run_optimization(request: AgentRequest, user_id: str, emitter: Emitter) -> OptimizationResult:
    facts = run_triage(request, user_id, emitter).to_dict()
    start, end = analysis_range(facts, request.time_range, request.now)
    emitter.checkpoint()
    return optimize(user_id, start, end, emitter=emitter, levers=levers_for(facts["category"]))


def run_execute(request: AgentRequest, user_id: str, emitter: Emitter) -> ExecuteResult:
    return execute(request.message, user_id=user_id, emitter=emitter, thread_id=request.thread_id,
                   context=request.agent_context())
