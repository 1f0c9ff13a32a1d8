"""Server-Sent Events for a run: the pipeline runs in a thread and feeds a queue the response drains.

Each envelope is written as ``event: <type>`` / ``id: <event_id>`` / ``data: <json>``; a final
``event: done`` carries ``{status, run_id, execution_time_ms}`` (status ``success``, ``error`` or
``cancelled``, with ``error {code, message}`` when not a success). A failure never breaks the
stream: the pipeline's own ``agent_error`` event is followed by ``done``. While the run is quiet a
``: keep-alive`` comment goes out every ``SSE_KEEPALIVE_S`` seconds (default 15) so proxies keep
the connection open. A client that disconnects cancels the run at its next checkpoint.
"""
from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import flask

from shared import config
from shared.agents.pipeline.agent_run import failure
from shared.agents.pipeline.events import Emitter, Event, RunCancelled
from shared.errors import Failure
from shared.logging import get_logger

log = get_logger("agents.sse")
_DONE = object()


def wants_event_stream(request: flask.Request) -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/event-stream"])
    return best == "text/event-stream"


def format_event(event: str, data: Any, event_id: str | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.append(f"data: {json.dumps(data, default=str, separators=(',', ':'))}")
    return "\n".join(lines) + "\n\n"


def _outcome(exc: BaseException | None) -> dict[str, Any]:
    if exc is None:
        return {"status": "success"}
    if isinstance(exc, (RunCancelled, Failure)):  # in the words the run's own agent_error used
        return {"status": "cancelled" if isinstance(exc, RunCancelled) else "error", "error": failure(exc, "run")}
    # A bug: the events already named the agent and the exception's type; done only says the run ended.
    return {"status": "error", "error": {"code": "internal_error", "message": "The run failed."}}


def stream_run(run: Callable[[Emitter], Any], emitter: Emitter) -> Iterator[str]:
    """Start ``run(emitter)`` in a thread and yield its events as SSE text, then ``done``."""
    events: queue.Queue = queue.Queue()
    outcome: dict[str, Any] = {}
    started = time.perf_counter()
    emitter.sinks.append(events.put)

    def worker() -> None:
        failure: BaseException | None = None
        try:
            run(emitter)
        except BaseException as exc:  # reported in the done event; the stream itself stays whole
            failure = exc
            if not isinstance(exc, (RunCancelled, Failure)):
                log.exception("streamed run failed", extra={"fields": {"run_id": emitter.run_id}})
        outcome.update(_outcome(failure))
        events.put(_DONE)

    thread = threading.Thread(target=worker, name=f"run-{emitter.run_id}", daemon=True)
    thread.start()
    keepalive = config.env_float("SSE_KEEPALIVE_S", 15.0)
    finished = False
    try:
        while True:
            try:
                item = events.get(timeout=keepalive)
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            if item is _DONE:
                finished = True
                break
            event: Event = item
            yield format_event(event.type, event.to_dict(), event.event_id)
        yield format_event("done", {**outcome, "run_id": emitter.run_id,
                                    "execution_time_ms": round((time.perf_counter() - started) * 1000, 3)})
    finally:
        # Reached early only when the client went away: stop the run instead of computing for no one.
        if not finished:
            emitter.cancel.set()


def sse_response(run: Callable[[Emitter], Any], emitter: Emitter) -> flask.Response:
    return flask.Response(stream_run(run, emitter), mimetype="text/event-stream",
                          headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
