"""The four agent functions through functions-framework: auth, validation, results, events, isolation."""
from __future__ import annotations

import pytest

from shared.agents.report.formatting import pct, share_pct, usd
from tests.support.agent_functions import AGENTS
from tests.support.october_usage import NOW, OCTOBER, insert_records, october_records
from tests.support.users import create_user

PATHS = {name: f"/api/agents/{name}" for name in AGENTS}
CONTEXT = {"now": NOW.isoformat(), "time_range": OCTOBER}


def post(client, name, user, body):
    return client.post(PATHS[name], json=body, headers=user.headers if user else {})


@pytest.mark.parametrize("name", AGENTS)
def test_token_required(clients, name, sqlite_db):
    response = clients[name].post(PATHS[name], json={"message": "where did the money go?"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "missing_token"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="tokenwise"'
    bad = clients[name].post(PATHS[name], json={"message": "hi"}, headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "malformed_token"


@pytest.mark.parametrize("name", AGENTS)
def test_body_errors(clients, name, sqlite_db):
    user = create_user()
    client = clients[name]
    wrong_type = client.post(PATHS[name], data="message=hi", headers={**user.headers,
                                                                      "Content-Type": "text/plain"})
    assert (wrong_type.status_code, wrong_type.get_json()["error"]["code"]) == (415, "unsupported_media_type")
    broken = client.post(PATHS[name], data="{", headers={**user.headers, "Content-Type": "application/json"})
    assert (broken.status_code, broken.get_json()["error"]["code"]) == (400, "invalid_json")
    big = client.post(PATHS[name], data='{"message": "' + "x" * 70_000 + '"}',
                      headers={**user.headers, "Content-Type": "application/json"})
    assert (big.status_code, big.get_json()["error"]["code"]) == (413, "payload_too_large")
    invalid = post(client, name, user, {"message": "", "context": {"time_range": {"start": "2026-10-05",
                                                                                  "end": "2026-10-01"}}})
    assert invalid.status_code == 422
    assert invalid.get_json()["error"] == {
        "code": "validation_failed", "message": "The request has invalid fields.",
        "details": {"fields": {"message": "must not be empty",
                               "context.time_range": "start must be before end (start inclusive, end exclusive)"}}}
    wrong_method = client.get(PATHS[name], headers=user.headers)
    assert (wrong_method.status_code, wrong_method.get_json()["error"]["code"]) == (405, "method_not_allowed")


@pytest.mark.parametrize("name", AGENTS)
def test_health(clients, name, database):
    for suffix in ("/health", "/health/ready"):
        response = clients[name].get(PATHS[name] + suffix)
        assert response.status_code == 200
        body = response.get_json()
        assert body["status"] == "healthy" and body["service"] == f"agents_{name}"
        assert body["database_status"] == "connected"


def test_triage(clients, october_user):
    response = post(clients["triage"], "triage", october_user,
                    {"message": "Where did our LLM money go last week?", "thread_id": "t-42",
                     "context": {"now": NOW.isoformat()}})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"status", "agent", "result", "events", "execution_time_ms"}
    assert (body["status"], body["agent"]) == ("success", "triage")
    result = body["result"]
    assert result["category"] == "spend_breakdown"
    assert result["data_sufficiency"] == "sufficient"
    assert result["next_agents"] == ["data", "report"]
    assert result["time_range_source"] == "message"
    events = body["events"]
    assert (events[0]["type"], events[0]["agent"]) == ("agent_started", "triage")
    assert (events[-1]["type"], events[-1]["agent"]) == ("agent_completed", "triage")
    assert events[-1]["payload"]["result"] == result
    assert {e["thread_id"] for e in events} == {"t-42"}
    assert len({e["run_id"] for e in events}) == 1
    assert [e["event_id"] for e in events] == sorted(e["event_id"] for e in events)
    assert isinstance(body["execution_time_ms"], float)


def test_context_range_overrides_the_message(clients, october_user):
    response = post(clients["triage"], "triage", october_user,
                    {"message": "what did we spend yesterday?", "context": CONTEXT})
    result = response.get_json()["result"]
    assert result["time_range_source"] == "context"
    assert result["entities"]["time_range"] == {"start": "2026-10-01T00:00:00+00:00",
                                                "end": "2026-11-01T00:00:00+00:00"}


def test_data_figures_are_the_records(clients, october_user):
    response = post(clients["data"], "data", october_user,
                    {"message": "break down my spend", "context": CONTEXT})
    assert response.status_code == 200
    body = response.get_json()
    assert body["agent"] == "data"
    result = body["result"]
    assert result["range"]["start"].startswith("2026-10-01T00:00:00")
    assert result["range"]["end"].startswith("2026-11-01T00:00:00")
    totals = result["totals"]
    assert totals["requests"] == 1085
    assert totals["cost_usd"] == pytest.approx(3.813, abs=1e-9)
    assert totals["errors"] == 0 and totals["unpriced_requests"] == 0
    by_feature = {f["feature"]: (f["requests"], f["cost_usd"]) for f in result["by_feature"]}
    assert by_feature == {"chat": (620, pytest.approx(2.79)), "classify": (310, pytest.approx(0.93)),
                          "summarise": (155, pytest.approx(0.093))}
    assert [m["model"] for m in result["by_model"]] == ["gpt-4o", "gpt-4o-mini"]
    assert len(result["by_day"]) == 31
    data_events = [e for e in body["events"] if e["agent"] == "data"]
    assert data_events[0]["type"] == "agent_started" and data_events[-1]["type"] == "agent_completed"
    assert data_events[-1]["payload"]["result"] == result
    assert body["events"][-1] == data_events[-1]


def test_data_message_range_when_no_context_range(clients, october_user):
    response = post(clients["data"], "data", october_user,
                    {"message": "what did we spend in the last 7 days?", "context": {"now": "2026-10-11T00:00:00"}})
    totals = response.get_json()["result"]["totals"]
    assert totals["requests"] == 7 * 35
    assert totals["cost_usd"] == pytest.approx(7 * (20 * 0.0045 + 10 * 0.003 + 5 * 0.0006))


def test_optimization_recommendations(clients, october_user):
    response = post(clients["optimization"], "optimization", october_user,
                    {"message": "how can we cut costs?", "context": CONTEXT})
    assert response.status_code == 200
    body = response.get_json()
    assert body["agent"] == "optimization"
    result = body["result"]
    assert result["spend_usd"] == pytest.approx(3.813)
    levers = [r["lever"] for r in result["recommendations"]]
    order = ["model_routing", "response_caching", "prompt_caching", "batch", "max_tokens", "model_deprecation"]
    assert levers == sorted(levers, key=order.index)
    assert "response_caching" in levers  # 5 hashes repeat 124 times each: exact repeats
    assert 0 < result["total_monthly_savings_usd"] <= result["spend_usd"] * 30 / result["days"]
    assert body["events"][-1]["agent"] == "optimization" and body["events"][-1]["type"] == "agent_completed"


def test_execute_answer_states_the_data_and_optimization_figures(clients, october_user):
    body = {"message": "How can we cut our LLM costs?", "context": CONTEXT}
    executed = post(clients["execute"], "execute", october_user, body).get_json()
    data = post(clients["data"], "data", october_user, body).get_json()["result"]
    optimization = post(clients["optimization"], "optimization", october_user, body).get_json()["result"]

    assert (executed["status"], executed["agent"]) == ("success", "supervisor")
    result = executed["result"]
    assert set(result) == {"answer", "category", "triage", "data", "optimization", "report"}
    assert result["category"] == "cost_optimization"
    assert result["data"] == data
    assert result["optimization"] == optimization

    answer = result["answer"]
    assert f"You spent **{usd(data['totals']['cost_usd'])}** on {data['totals']['requests']:,} requests" in answer
    for row in data["by_model"]:
        assert f"| `{row['model']}` | {usd(row['cost_usd'])} | " \
               f"{pct(share_pct(row['cost_usd'], data['totals']['cost_usd']))} |" in answer
    assert optimization["recommendations"], "the October records carry savings"
    for rec in optimization["recommendations"]:
        assert f"saves **{usd(rec['monthly_savings_usd'])} a month** ({pct(rec['savings_pct'])} of spend)" in answer
    for skipped in optimization["not_recommended"]:
        assert f"- `{skipped['lever']}`: {skipped['reason']}" in answer
    assert f"**{usd(optimization['total_monthly_savings_usd'])} a month**" in answer
    assert "2026-10-01 to 2026-11-01 (31 days, end exclusive)" in answer

    events = executed["events"]
    assert (events[0]["type"], events[0]["agent"]) == ("agent_started", "supervisor")
    assert (events[-1]["type"], events[-1]["agent"]) == ("agent_completed", "supervisor")
    assert events[-1]["payload"] == {"answer": answer, "result": result}
    started = [e["agent"] for e in events if e["type"] == "agent_started"]
    assert started == ["supervisor", "triage", "data", "optimization", "report"]


@pytest.mark.parametrize("message, category, agents", [
    ("what can you do?", "help", ["supervisor", "triage", "report"]),
    ("what's the weather in Paris tomorrow?", "out_of_scope", ["supervisor", "triage", "report"]),
    ("show me our daily spend trend", "usage_trends", ["supervisor", "triage", "data", "report"]),
])
def test_execute_skips_what_triage_does_not_need(clients, october_user, message, category, agents):
    body = post(clients["execute"], "execute", october_user, {"message": message, "context": CONTEXT}).get_json()
    assert body["result"]["category"] == category
    assert [e["agent"] for e in body["events"] if e["type"] == "agent_started"] == agents


def test_user_without_records_gets_the_import_guide(clients, database):
    newcomer = create_user()
    body = post(clients["execute"], "execute", newcomer,
                {"message": "where did our money go?", "context": CONTEXT}).get_json()
    result = body["result"]
    assert result["triage"]["data_sufficiency"] == "none"
    assert result["data"] is None and result["optimization"] is None
    assert result["report"]["structured"]["data_status"] == "no_data"
    assert "POST /api/usage/import" in result["answer"]
    assert [e["agent"] for e in body["events"] if e["type"] == "agent_started"] == ["supervisor", "triage", "report"]


def test_users_never_see_each_other(clients, october_user):
    other = create_user()
    insert_records(october_records(other)[:35])  # one day of the same traffic, different owner
    body = {"message": "break down my spend", "context": CONTEXT}
    mine = post(clients["data"], "data", october_user, body).get_json()["result"]["totals"]
    theirs = post(clients["data"], "data", other, body).get_json()["result"]["totals"]
    assert (mine["requests"], theirs["requests"]) == (1085, 35)
    assert theirs["cost_usd"] == pytest.approx(20 * 0.0045 + 10 * 0.003 + 5 * 0.0006)
    executed = post(clients["execute"], "execute", other, body).get_json()["result"]
    assert executed["data"]["totals"] == theirs
    assert f"You spent **{usd(theirs['cost_usd'])}** on 35 requests" in executed["answer"]
    optimized = post(clients["optimization"], "optimization", other, body).get_json()["result"]
    samples = {s for r in optimized["recommendations"] for s in r["evidence"]["sample_request_ids"]}
    assert all(s.startswith(other.id[:8]) for s in samples)
    triaged = post(clients["triage"], "triage", other,
                   {"message": "spend on classify", "context": CONTEXT}).get_json()["result"]
    assert triaged["data_sufficiency"] == "partial"
