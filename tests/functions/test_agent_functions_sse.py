"""The SSE framing of a run: events in order with ids, a final done, errors as events, disconnect cancels."""
from __future__ import annotations

import json
import os
import threading

from shared.agents.http.sse import format_event, stream_run
from shared.agents.pipeline.events import Emitter
from shared.db import DatabaseUnavailable


def parse_sse(text: str) -> list[dict]:
    """Frames as {event, id, data}; comment lines (keep-alives) as {"comment": ...}."""
    frames = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        frame: dict = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                frame["comment"] = line[1:].strip()
                continue
            key, _, value = line.partition(": ")
            frame[key] = json.loads(value) if key == "data" else value
        frames.append(frame)
    return frames


def test_format_event():
    assert format_event("done", {"a": 1}) == 'event: done\ndata: {"a":1}\n\n'
    assert format_event("agent_started", {"b": [1]}, "r-00001") == \
        'event: agent_started\nid: r-00001\ndata: {"b":[1]}\n\n'


def test_events_then_done():
    def run(emitter):
        emitter.emit("agent_started", "supervisor", {"input": "q"})
        emitter.emit("agent_completed", "supervisor", {"answer": "a", "result": {}})

    emitter = Emitter(thread_id="t-1")
    frames = parse_sse("".join(stream_run(run, emitter)))
    assert [f["event"] for f in frames] == ["agent_started", "agent_completed", "done"]
    assert [f["data"] for f in frames[:2]] == [e.to_dict() for e in emitter.events]
    assert [f["id"] for f in frames[:2]] == [e.event_id for e in emitter.events]
    assert frames[2]["data"]["status"] == "success" and frames[2]["data"]["run_id"] == emitter.run_id
    assert "id" not in frames[2]


def test_a_failing_run_still_ends_the_stream_cleanly():
    def run(emitter):
        emitter.emit("agent_started", "supervisor", {"input": "q"})
        emitter.emit("agent_error", "supervisor", {"code": "internal_error", "message": "boom"})
        raise RuntimeError("boom")

    frames = parse_sse("".join(stream_run(run, Emitter())))
    assert [f["event"] for f in frames] == ["agent_started", "agent_error", "done"]
    assert frames[-1]["data"]["status"] == "error"
    assert frames[-1]["data"]["error"] == {"code": "internal_error", "message": "The run failed."}


def test_an_http_error_keeps_its_code():
    def run(emitter):
        raise DatabaseUnavailable("down")

    frames = parse_sse("".join(stream_run(run, Emitter())))
    assert frames == [{"event": "done", "data": {
        "status": "error", "error": {"code": "database_unavailable", "message": "The database is unavailable."},
        "run_id": frames[0]["data"]["run_id"], "execution_time_ms": frames[0]["data"]["execution_time_ms"]}}]


def test_keepalive_while_quiet():
    os.environ["SSE_KEEPALIVE_S"] = "0.05"
    release = threading.Event()

    def run(emitter):
        release.wait(5)
        emitter.emit("agent_started", "supervisor", {"input": "q"})

    stream = stream_run(run, Emitter())
    first = next(stream)
    release.set()
    rest = "".join(stream)
    assert first == ": keep-alive\n\n"
    assert [f.get("event") for f in parse_sse(rest) if "event" in f] == ["agent_started", "done"]


def test_client_going_away_cancels_the_run():
    started, observed = threading.Event(), threading.Event()
    seen = {}

    def run(emitter):
        emitter.emit("agent_started", "supervisor", {"input": "q"})
        started.set()
        seen["cancelled"] = emitter.cancel.wait(5)
        observed.set()

    emitter = Emitter()
    stream = stream_run(run, emitter)
    assert next(stream).startswith("event: agent_started\n")
    stream.close()  # what the server does when the client disconnects
    assert observed.wait(5)
    assert seen["cancelled"] is True
