"""The HTTP face shared by the agent functions: ``POST <prefix>`` runs one agent for the caller.

``agent_function(service, prefix, agent, run, needs_database=, streams=)`` builds a ``FunctionApp``:
Bearer authentication (401), a JSON body of at most ``MAX_BODY_BYTES`` (64 KiB; 413/415/400),
validation by ``shared.agents.http.request`` (422 with field errors), then ``run(request, user_id, emitter)``.
The answer is ``{status: "success", agent, result, events, execution_time_ms}``; with ``streams``
and ``Accept: text/event-stream`` the same events go out as Server-Sent Events instead.

The runs, one validated request to one agent run:

- ``run_triage``: the triage agent alone (it still answers when the database is down).
- ``run_data`` / ``run_optimization``: triage resolves the question's range (a ``context.time_range``
  wins) and, for optimization, which levers the question is about; then the agent runs over that
  range. Their events are triage's followed by the agent's. The database being down raises
  ``DatabaseUnavailable`` (503 ``database_unavailable``).
- ``run_execute``: the whole supervisor pipeline.

Health: ``<prefix>/health`` reports the ``database`` and ``code`` checks; ``<prefix>/health/ready``
requires the code, and the database when ``needs_database``. Importing this module loads
neither SQLAlchemy nor any agent, so a cold start answers its first health probe as fast as a
bare function: that probe starts importing what the unit's run needs (and the token code) in the
background (``shared.preload``), and the first question finds it loaded.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import flask

from shared.agents.http.request import AgentRequest, parse_agent_request
from shared.agents.http.sse import sse_response, wants_event_stream
from shared.agents.pipeline.events import Emitter
from shared.health import database_check, loading_check
from shared.http import FunctionApp, json_body
from shared.logging import get_logger

if TYPE_CHECKING:
    from shared.agents.data.agent import DataResult
    from shared.agents.optimization import OptimizationResult
    from shared.agents.pipeline.execute import ExecuteResult
    from shared.agents.triage.agent import TriageResult

MAX_BODY_BYTES = 64 * 1024
Run = Callable[[AgentRequest, str, Emitter], Any]
AnyRun = TypeVar("AnyRun", bound=Run)
log = get_logger("agents.endpoint")

TOKENS = "shared.auth.request"
TRIAGE = "shared.agents.triage.agent"
PLAN = "shared.agents.pipeline.plan"
_NEEDS: dict[Run, tuple[str, ...]] = {}


def _needs(*modules: str) -> Callable[[AnyRun], AnyRun]:
    """Record what a run imports (in that order), for its unit to load after the first health probe."""
    def register(run: AnyRun) -> AnyRun:
        _NEEDS[run] = modules
        return run
    return register


@_needs(TRIAGE)
def run_triage(request: AgentRequest, user_id: str, emitter: Emitter) -> TriageResult:
    from shared.agents.triage.agent import triage
    return triage(request.message, emitter=emitter, user_id=user_id, now=request.now,
                  time_range=request.time_range)


@_needs(TRIAGE, PLAN, "shared.agents.data.agent")
def run_data(request: AgentRequest, user_id: str, emitter: Emitter) -> DataResult:
    from shared.agents.data.agent import analyze
    from shared.agents.pipeline.plan import analysis_range
    facts = run_triage(request, user_id, emitter).to_dict()
    start, end = analysis_range(facts, request.time_range, request.now)
    emitter.checkpoint()
    return analyze(user_id, start, end, emitter=emitter)


@_needs(TRIAGE, PLAN, "shared.agents.optimization")
def run_optimization(request: AgentRequest, user_id: str, emitter: Emitter) -> OptimizationResult:
    from shared.agents.optimization import optimize
    from shared.agents.pipeline.plan import analysis_range, levers_for
    facts = run_triage(request, user_id, emitter).to_dict()
    start, end = analysis_range(facts, request.time_range, request.now)
    emitter.checkpoint()
    return optimize(user_id, start, end, emitter=emitter, levers=levers_for(facts["category"]))


@_needs("shared.agents.pipeline.execute")
def run_execute(request: AgentRequest, user_id: str, emitter: Emitter) -> ExecuteResult:
    from shared.agents.pipeline.execute import execute
    return execute(request.message, user_id=user_id, emitter=emitter, thread_id=request.thread_id,
                   context=request.agent_context())


def agent_function(service: str, prefix: str, agent: str, run: Run, *, needs_database: bool = True,
                   streams: bool = False) -> FunctionApp:
    checks = {"database": database_check, "code": loading_check("the agents' code", (TOKENS, *_NEEDS[run]))}
    app = FunctionApp(service, prefix, checks=checks,
                      required=("database", "code") if needs_database else ("code",))

    @app.route("/", methods=("POST",))
    def run_agent(request: flask.Request):
        from shared.auth.request import authenticate
        principal = authenticate(request)
        parsed = parse_agent_request(json_body(request, MAX_BODY_BYTES))
        emitter = Emitter(thread_id=parsed.thread_id)
        if streams and wants_event_stream(request):
            return sse_response(lambda em: run(parsed, principal.user_id, em), emitter)
        started = time.perf_counter()
        result = run(parsed, principal.user_id, emitter)
        elapsed = round((time.perf_counter() - started) * 1000, 3)
        log.info("agent run", extra={"fields": {"agent": agent, "run_id": emitter.run_id,
                                                "user_id": principal.user_id, "duration_ms": elapsed}})
        return {"status": "success", "agent": agent, "result": result.to_dict(),
                "events": [event.to_dict() for event in emitter.events], "execution_time_ms": elapsed}

    return app
