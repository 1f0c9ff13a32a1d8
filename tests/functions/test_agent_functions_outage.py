"""The agent functions with the database unreachable (a closed local port): who answers and how."""
from __future__ import annotations

import os

import pytest

from tests.functions.test_agent_functions_sse import parse_sse
from tests.support.october_usage import NOW, OCTOBER
from tests.support.ports import free_port as closed_port
from tests.support.users import User

BODY = {"message": "Where did our LLM money go?", "context": {"now": NOW.isoformat(), "time_range": OCTOBER}}


@pytest.fixture
def down():
    os.environ["DATABASE_URL"] = f"postgresql+pg8000://postgres@127.0.0.1:{closed_port()}/test"
    os.environ.pop("TOKENWISE_DB_SCHEMA", None)
    os.environ["DB_STATUS_TIMEOUT_S"] = "3"
    return User("0b9e7a1e-0000-4000-8000-000000000001", "someone@example.com")


def test_triage_still_answers(clients, down):
    response = clients["triage"].post("/api/agents/triage", json=BODY, headers=down.headers)
    assert response.status_code == 200
    result = response.get_json()["result"]
    assert result["category"] == "spend_breakdown"
    assert result["data_sufficiency"] == "unknown"


@pytest.mark.parametrize("name", ["data", "optimization"])
def test_data_and_optimization_answer_503(clients, down, name):
    response = clients[name].post(f"/api/agents/{name}", json=BODY, headers=down.headers)
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "database_unavailable"
    assert error["message"] == "The database is unavailable."


def test_execute_completes_saying_the_data_is_unavailable(clients, down):
    body = clients["execute"].post("/api/agents/execute", json=BODY, headers=down.headers).get_json()
    assert body["status"] == "success"
    errors = [(e["agent"], e["payload"]["code"]) for e in body["events"] if e["type"] == "agent_error"]
    assert errors == [("data", "database_unavailable")]
    assert (body["events"][-1]["type"], body["events"][-1]["agent"]) == ("agent_completed", "supervisor")
    assert "Your usage data is unavailable right now" in body["result"]["answer"]


def test_execute_stream_completes_too(clients, down):
    response = clients["execute"].post("/api/agents/execute", json=BODY,
                                       headers={**down.headers, "Accept": "text/event-stream"})
    frames = parse_sse(response.get_data(as_text=True))
    assert [f["event"] for f in frames][-3:] == ["agent_completed", "agent_completed", "done"]
    assert ("agent_error", "data") in [(f["event"], f["data"]["agent"]) for f in frames[:-1]]
    assert frames[-1]["data"]["status"] == "success"


@pytest.mark.parametrize("name, ready_status", [("execute", 503), ("triage", 200), ("data", 503),
                                                ("optimization", 503)])
def test_health_is_degraded(clients, down, name, ready_status):
    health = clients[name].get(f"/api/agents/{name}/health")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded" and body["database_status"] == "degraded"
    assert set(body["reasons"]) == {"database"}
    ready = clients[name].get(f"/api/agents/{name}/health/ready")
    assert ready.status_code == ready_status
