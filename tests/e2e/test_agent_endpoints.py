"""5. The agent functions through the stack: 200 with results for a user, 401 without a token, 422 on bad bodies."""
from __future__ import annotations

import pytest

QUESTION = "How much did we spend by model last week?"
AGENTS = {"triage": "triage", "data": "data", "optimization": "optimization", "execute": "supervisor"}


@pytest.mark.parametrize("name", list(AGENTS))
def test_an_agent_answers_its_user(client, demo, target, name):
    response = client.request("POST", f"/api/agents/{name}", headers=demo.bearer(),
                              json={"message": QUESTION, "context": {"now": target.now}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["agent"]) == ("success", AGENTS[name])
    events = body["events"]
    assert {e["run_id"] for e in events} == {events[0]["run_id"]}
    assert events[-1]["type"] == "agent_completed" and events[-1]["agent"] == AGENTS[name]
    result = body["result"]
    if name == "triage":
        assert (result["category"], result["data_sufficiency"]) == ("spend_breakdown", "sufficient")
    elif name == "data":
        assert result["totals"]["requests"] > 0 and result["by_model"]
    elif name == "optimization":
        assert result["spend_usd"] > 0 and result["recommendations"]
        savings = [r["monthly_savings_usd"] for r in result["recommendations"]]
        assert min(savings) > 0
        # overlapping levers are combined, not added; and no month saves more than a month's spend
        assert result["total_monthly_savings_usd"] <= sum(savings) + 1e-9
        assert result["total_monthly_savings_usd"] <= result["spend_usd"] / result["days"] * 31
    else:
        assert result["category"] == "spend_breakdown" and result["answer"]


@pytest.mark.parametrize("name", list(AGENTS))
def test_an_agent_refuses_a_request_without_a_token(client, name):
    response = client.request("POST", f"/api/agents/{name}", json={"message": QUESTION})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"


BAD_BODIES = [
    ({}, {"message": "is required"}),
    ({"message": 42}, {"message": "must be a string"}),
    ({"message": "   "}, {"message": "must not be empty"}),
    ({"message": "spend?", "context": []}, {"context": "must be an object"}),
    ({"message": "spend?", "context": {"time_range": {"start": "2026-03-02", "end": "2026-03-01"}}},
     {"context.time_range": "start must be before end (start inclusive, end exclusive)"}),
    ({"message": "spend?", "context": {"now": "yesterday"}}, {"context.now": "is not a valid ISO 8601 datetime"}),
]


@pytest.mark.parametrize("name", list(AGENTS))
@pytest.mark.parametrize("body, fields", BAD_BODIES)
def test_an_agent_refuses_a_bad_body_with_422(client, demo, name, body, fields):
    response = client.request("POST", f"/api/agents/{name}", headers=demo.bearer(), json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["details"]["fields"]) == ("validation_failed", fields)
