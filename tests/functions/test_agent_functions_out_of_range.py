"""Periods leaving the calendar and moments outside the agents' dates: 422 naming the field, never a 500."""
from __future__ import annotations

import pytest

from shared.clock import OUT_OF_RANGE
from tests.support.agent_functions import AGENTS
from tests.support.users import create_user

PATHS = {name: f"/api/agents/{name}" for name in AGENTS}
TOO_FAR = [
    ("How much did we spend in the last 1000000 days?", "last 1000000 days"),
    ("How much did we spend in the last 3000 years?", "last 3000 years"),
    ("Spend over the last 800000 weeks", "last 800000 weeks"),
    ("Spend in the last 100000000000000000000 hours", "last 100000000000000000000 hours"),
    ("Spend in the last " + "9" * 3950 + " hours", "last " + "9" * 52 + "..."),
]
CALENDAR = "it would leave the calendar (years 1 to 9999)"


def error_of(response) -> dict:
    return response.get_json()["error"]


@pytest.mark.parametrize("name", AGENTS)
@pytest.mark.parametrize("message, phrase", TOO_FAR, ids=["days", "years", "weeks", "hours", "4000 digits"])
def test_a_period_out_of_range_is_422_on_the_message(clients, sqlite_db, name, message, phrase):
    response = clients[name].post(PATHS[name], json={"message": message, "context": {"now": "2026-11-01"}},
                                  headers=create_user().headers)
    assert response.status_code == 422
    assert error_of(response) == {"code": "validation_failed",
                                  "message": f'The question asks about a period out of range ("{phrase}"): {CALENDAR}.',
                                  "details": {"fields": {"message": f'names a period out of range ("{phrase}"): '
                                                                    f"{CALENDAR}"}}}


@pytest.mark.parametrize("name", AGENTS)
@pytest.mark.parametrize("now", ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59", "1899-12-31T23:59:59Z",
                                 "9000-01-01T00:00:01"])
@pytest.mark.parametrize("message", ["How much did we spend this year?", "What did we spend?"])
def test_a_now_out_of_range_is_422_on_context_now(clients, sqlite_db, name, now, message):
    response = clients[name].post(PATHS[name], json={"message": message, "context": {"now": now}},
                                  headers=create_user().headers)
    assert response.status_code == 422
    assert error_of(response)["details"] == {"fields": {"context.now": OUT_OF_RANGE}}


@pytest.mark.parametrize("name", AGENTS)
def test_a_context_range_out_of_range_names_its_bound(clients, sqlite_db, name):
    body = {"message": "spend", "context": {"time_range": {"start": "9999-12-30", "end": "9999-12-31T12:00:00"}}}
    response = clients[name].post(PATHS[name], json=body, headers=create_user().headers)
    assert response.status_code == 422
    assert error_of(response)["details"] == {"fields": {"context.time_range.start": OUT_OF_RANGE,
                                                        "context.time_range.end": OUT_OF_RANGE}}


@pytest.mark.parametrize("now", ["1900-01-01", "9000-01-01", "8999-12-31T23:59:59"])
@pytest.mark.parametrize("message", ["How much did we spend this year?", "What did we spend this week?",
                                     "What did we spend?", "Spend this quarter vs last quarter",
                                     "Spend between Dec 15 and Jan 10"])
def test_the_edges_of_the_range_still_answer(clients, sqlite_db, now, message):
    response = clients["triage"].post(PATHS["triage"], json={"message": message, "context": {"now": now}},
                                      headers=create_user().headers)
    assert response.status_code == 200, response.get_json()
    time_range = response.get_json()["result"]["entities"]["time_range"]
    assert "1898-01-01" <= time_range["start"] < time_range["end"] <= "9001-01-01T00:00:00+00:00"
