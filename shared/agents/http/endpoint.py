"""The HTTP face shared by the agent functions: ``POST <prefix>`` runs one agent for the caller.

``agent_function(service, prefix, agent, run, needs_database=, streams=)`` builds a ``FunctionApp``:
Bearer authentication (401), a JSON body of at most ``MAX_BODY_BYTES`` (64 KiB; 413/415/400),
validation by ``shared.agents.http.request`` (422 with field errors), then ``run(request, user_id, emitter)``.
The answer is ``{status: "success", agent, result, events, execution_time_ms}``; with ``streams``
and ``Accept: text/event-stream`` the same events go out as Server-Sent Events instead.
Health: ``<prefix>/health`` reports the database; ``<prefix>/health/ready`` requires it when
``needs_database``.
"""
from __future__ import annotations

import time
from typing import Any, Callable

import flask

from shared.agents.http.request import AgentRequest, parse_agent_request
from shared.agents.pipeline.events import Emitter
from shared.agents.http.sse import sse_response, wants_event_stream
from shared.auth import authenticate
from shared.health import database_check
from shared.http import FunctionApp, json_body
from shared.logging import get_logger

MAX_BODY_BYTES = 64 * 1024
Run = Callable[[AgentRequest, str, Emitter], Any]
log = get_logger("agents.endpoint")


def agent_function(service: str, prefix: str, agent: str, run: Run, *, needs_database: bool = True,
                   streams: bool = False) -> FunctionApp:
    app = FunctionApp(service, prefix, checks={"database": database_check},
                      required=("database",) if needs_database else ())

    @app.route("/", methods=("POST",))
    def run_agent(request: flask.Request):
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
