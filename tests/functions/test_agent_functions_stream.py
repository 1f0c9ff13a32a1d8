"""``agents_execute`` as Server-Sent Events: the same events and answer as its JSON reply."""
from __future__ import annotations

import pytest

from tests.functions.test_agent_functions_sse import parse_sse
from tests.support.october_usage import NOW, OCTOBER
from tests.support.users import create_user

PATH = "/api/agents/execute"
BODY = {"message": "How can we cut our LLM costs?", "thread_id": "t-sse",
        "context": {"now": NOW.isoformat(), "time_range": OCTOBER}}


def comparable(event: dict) -> tuple:
    """What two runs of the same question share: not ids, times or measured durations."""
    payload = {k: v for k, v in event["payload"].items() if k != "duration_ms"}
    return event["type"], event["agent"], event["thread_id"], payload


@pytest.fixture
def user(october_user):
    """The October records' owner: shared by the session, so these tests only read."""
    return october_user


def test_stream_matches_the_json_reply(clients, user):
    client = clients["execute"]
    streamed = client.post(PATH, json=BODY, headers={**user.headers, "Accept": "text/event-stream"})
    assert streamed.status_code == 200
    assert streamed.mimetype == "text/event-stream"
    assert streamed.headers["Cache-Control"] == "no-cache"
    frames = parse_sse(streamed.get_data(as_text=True))
    replied = client.post(PATH, json=BODY, headers=user.headers).get_json()

    *events, done = frames
    assert done["event"] == "done" and done["data"]["status"] == "success"
    assert all(f["event"] == f["data"]["type"] and f["id"] == f["data"]["event_id"] for f in events)
    assert [f["data"]["event_id"] for f in events] == sorted(f["data"]["event_id"] for f in events)
    assert {f["data"]["run_id"] for f in events} == {done["data"]["run_id"]}
    assert [comparable(f["data"]) for f in events] == [comparable(e) for e in replied["events"]]
    assert events[-1]["data"]["payload"]["answer"] == replied["result"]["answer"]
    assert events[-1]["data"]["payload"]["result"] == replied["result"]
    assert (events[0]["event"], events[0]["data"]["agent"]) == ("agent_started", "supervisor")


def test_json_when_the_client_prefers_it(clients, user):
    response = clients["execute"].post(PATH, json=BODY, headers={**user.headers,
                                                                 "Accept": "application/json, text/event-stream;q=0.5"})
    assert response.mimetype == "application/json"
    assert response.get_json()["status"] == "success"


def test_errors_before_the_run_are_plain_json(clients, sqlite_db):
    anonymous = clients["execute"].post(PATH, json=BODY, headers={"Accept": "text/event-stream"})
    assert (anonymous.status_code, anonymous.mimetype) == (401, "application/json")
    user = create_user()
    invalid = clients["execute"].post(PATH, json={"message": ""}, headers={**user.headers,
                                                                         "Accept": "text/event-stream"})
    assert invalid.status_code == 422
    assert invalid.get_json()["error"]["details"]["fields"] == {"message": "must not be empty"}


@pytest.mark.parametrize("name", ["triage", "data", "optimization"])
def test_only_execute_streams(clients, sqlite_db, name):
    user = create_user()
    response = clients[name].post(f"/api/agents/{name}", json={"message": "spend last week"},
                                  headers={**user.headers, "Accept": "text/event-stream"})
    assert (response.status_code, response.mimetype) == (200, "application/json")
