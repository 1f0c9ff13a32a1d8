"""Contract cases of the four agent functions: answers over demo records, the event stream, and bad requests."""
from __future__ import annotations

import json
from datetime import UTC, datetime

from tests.openapi.cases import case
from tests.support.contract_api import Api

AGENT_MAX_BODY = 64 * 1024
QUESTIONS = {
    "execute": "How can we cut our LLM spend over the last 30 days?",
    "triage": "Which model cost us the most last week?",
    "data": "Break down our spend by model and feature for the last 30 days",
    "optimization": "Where can we save money on prompt caching and model routing?",
}


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_events(text: str) -> list[tuple[str, dict]]:
    """``(event, data)`` of each Server-Sent Event in ``text`` (comments skipped)."""
    events = []
    for block in text.strip().split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        fields = dict(line.split(": ", 1) for line in lines)
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def _register(agent: str) -> None:
    path = f"/api/agents/{agent}"

    @case("post", path, 200)
    def answer_over_demo_records(api: Api):
        account = api.demo_account()
        body = api.call("POST", path, 200, json={"message": QUESTIONS[agent], "context": {"now": now()}},
                        headers=account.bearer()).json()
        assert body["status"] == "success" and body["agent"] == ("supervisor" if agent == "execute" else agent)
        assert body["events"][0]["type"] == "agent_started" and body["events"][-1]["type"] == "agent_completed"

    @case("post", path, 200)
    def answer_for_a_named_range_in_a_thread(api: Api):
        account = api.demo_account()
        body = api.call("POST", path, 200, json={
            "message": QUESTIONS[agent], "thread_id": "thread-contract-1",
            "context": {"time_range": {"start": "2026-01-01", "end": "2026-02-01T00:00:00Z"}, "now": now()}},
            headers=account.bearer()).json()
        assert {event["thread_id"] for event in body["events"]} == {"thread-contract-1"}

    @case("post", path, 400)
    def truncated_json(api: Api):
        account = api.register()
        body = api.call("POST", path, 400, data=b'{"message": "How much', headers={
            **account.bearer(), "Content-Type": "application/json"}).json()
        assert body["error"]["code"] == "invalid_json"

    @case("post", path, 401)
    def without_a_token(api: Api):
        body = api.call("POST", path, 401, json={"message": QUESTIONS[agent]}).json()
        assert body["error"]["code"] == "missing_token"

    @case("post", path, 413)
    def pasted_log_over_the_limit(api: Api):
        account = api.register()
        body = api.call("POST", path, 413, json={"message": "x" * (AGENT_MAX_BODY + 1)},
                        headers=account.bearer()).json()
        assert body["error"]["details"] == {"max_bytes": AGENT_MAX_BODY}

    @case("post", path, 415)
    def form_encoded(api: Api):
        account = api.register()
        body = api.call("POST", path, 415, data={"message": QUESTIONS[agent]}, headers=account.bearer()).json()
        assert body["error"]["code"] == "unsupported_media_type"

    @case("post", path, 422)
    def blank_message_and_backwards_range(api: Api):
        account = api.register()
        body = api.call("POST", path, 422, json={"message": "   ", "context": {
            "time_range": {"start": "2026-03-01", "end": "2026-02-01"}}}, headers=account.bearer()).json()
        assert set(body["error"]["details"]["fields"]) == {"message", "context.time_range"}


for _agent in QUESTIONS:
    _register(_agent)


@case("post", "/api/agents/execute", 200)
def execute_as_an_event_stream(api: Api):
    account = api.demo_account()
    response = api.call("POST", "/api/agents/execute", 200, json={"message": QUESTIONS["execute"],
                                                                  "context": {"now": now()}},
                        headers={**account.bearer(), "Accept": "text/event-stream"})
    events = parse_events(response.text)
    assert events[-1][0] == "done" and events[-1][1]["status"] == "success"
    for kind, data in events[:-1]:  # each one an AgentEvent, as the document says
        assert kind == data["type"]
        api.contract.validate_value({"$ref": "#/components/schemas/AgentEvent"}, data, f"SSE event {kind}")


@case("post", "/api/agents/execute", 200)
def execute_with_the_database_down_says_so(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("POST", "/api/agents/execute", 200, json={"message": QUESTIONS["execute"]},
                        headers=account.bearer()).json()
    assert body["result"]["data"] is None
    assert [(e["agent"], e["payload"]["code"]) for e in body["events"] if e["type"] == "agent_error"] == [
        ("data", "database_unavailable")]


@case("post", "/api/agents/triage", 200)
def triage_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("POST", "/api/agents/triage", 200, json={"message": QUESTIONS["triage"]},
                        headers=account.bearer()).json()
    assert body["result"]["data_sufficiency"] == "unknown"


for _agent in ("execute", "triage"):
    @case("post", f"/api/agents/{_agent}", 503)
    def without_a_signing_key(api: Api, _path=f"/api/agents/{_agent}"):
        account = api.register()
        with api.production_without_secret():
            body = api.call("POST", _path, 503, json={"message": "How much did we spend?"},
                            headers=account.bearer()).json()
        assert body["error"]["code"] == "misconfigured"

for _agent in ("data", "optimization"):
    @case("post", f"/api/agents/{_agent}", 503)
    def with_the_database_down(api: Api, _path=f"/api/agents/{_agent}"):
        account = api.register()
        with api.database_down():
            body = api.call("POST", _path, 503, json={"message": QUESTIONS["data"]}, headers=account.bearer()).json()
        assert body["error"]["code"] == "database_unavailable"
