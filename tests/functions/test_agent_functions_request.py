"""The agent functions' body rules: message, thread_id, context.time_range and context.now."""
from __future__ import annotations

from datetime import datetime

import pytest

from shared.agents.http.request import AgentRequest, parse_agent_request
from shared.clock import parse_client_time
from shared.errors import ValidationFailed
from shared.http import status_of


def fields_of(body) -> dict:
    with pytest.raises(ValidationFailed) as caught:
        parse_agent_request(body)
    assert status_of(caught.value) == 422 and caught.value.code == "validation_failed"
    return caught.value.details["fields"]


def test_minimal_body():
    parsed = parse_agent_request({"message": "  where did the money go?  "})
    assert parsed == AgentRequest(message="where did the money go?")
    assert parsed.time_range is None and parsed.agent_context() == {}


def test_full_body_normalises_dates_and_keeps_other_context_keys():
    parsed = parse_agent_request({
        "message": "spend", "thread_id": "t-1",
        "context": {"time_range": {"start": "2026-10-01", "end": "2026-10-15T12:00:00Z"},
                    "now": "2026-10-20T08:30:00+00:00", "client": "web"}})
    assert parsed.start == datetime(2026, 10, 1) and parsed.end == datetime(2026, 10, 15, 12)
    assert parsed.now == datetime(2026, 10, 20, 8, 30)
    assert parsed.thread_id == "t-1"
    assert parsed.agent_context() == {"time_range": {"start": "2026-10-01T00:00:00", "end": "2026-10-15T12:00:00"},
                                      "now": "2026-10-20T08:30:00", "client": "web"}


@pytest.mark.parametrize("body, expected", [
    ({}, {"message": "is required"}),
    ({"message": None}, {"message": "is required"}),
    ({"message": 42}, {"message": "must be a string"}),
    ({"message": "   "}, {"message": "must not be empty"}),
    ({"message": "x" * 4001}, {"message": "must be at most 4000 characters"}),
    ({"message": "hi", "thread_id": 7}, {"thread_id": "must be a string"}),
    ({"message": "hi", "thread_id": ""}, {"thread_id": "must be 1 to 64 letters, digits, '-' or '_'"}),
    ({"message": "hi", "thread_id": "a" * 65}, {"thread_id": "must be 1 to 64 letters, digits, '-' or '_'"}),
    ({"message": "hi", "thread_id": "t 1"}, {"thread_id": "must be 1 to 64 letters, digits, '-' or '_'"}),
    ({"message": "hi", "context": []}, {"context": "must be an object"}),
    ({"message": "hi", "context": {"time_range": "last week"}},
     {"context.time_range": "must be an object {start, end}"}),
    ({"message": "hi", "context": {"time_range": {"start": "2026-10-01"}}},
     {"context.time_range.end": "is required"}),
    ({"message": "hi", "context": {"time_range": {"start": "2026-13-01", "end": "2026-10-02"}}},
     {"context.time_range.start": "is not a valid ISO 8601 date (YYYY-MM-DD)"}),
    ({"message": "hi", "context": {"time_range": {"start": "yesterday", "end": "2026-10-02"}}},
     {"context.time_range.start": "is not a valid ISO 8601 datetime"}),
    ({"message": "hi", "context": {"now": "0001-01-01T00:00:00+01:00"}},
     {"context.now": "is out of the representable range in UTC"}),
    ({"message": "hi", "context": {"time_range": {"start": 20261001, "end": "2026-10-02"}}},
     {"context.time_range.start": "must be an ISO 8601 date or datetime string"}),
    ({"message": "hi", "context": {"time_range": {"start": "2026-10-02", "end": "2026-10-02"}}},
     {"context.time_range": "start must be before end (start inclusive, end exclusive)"}),
    ({"message": "hi", "context": {"time_range": {"start": "2026-10-05", "end": "2026-10-02"}}},
     {"context.time_range": "start must be before end (start inclusive, end exclusive)"}),
    ({"message": "hi", "context": {"time_range": {"start": "2025-01-01", "end": "2026-01-03"}}},
     {"context.time_range": "must span at most 366 days"}),
    ({"message": "hi", "context": {"now": "soon"}}, {"context.now": "is not a valid ISO 8601 datetime"}),
])
def test_each_bad_field_is_named(body, expected):
    assert fields_of(body) == expected


def test_every_bad_field_is_reported_at_once():
    assert fields_of({"message": "", "thread_id": 1, "context": {"now": "x", "time_range": {}}}) == {
        "message": "must not be empty", "thread_id": "must be a string", "context.now": "is not a valid ISO 8601 datetime",
        "context.time_range.start": "is required", "context.time_range.end": "is required"}


def test_boundaries_are_accepted():
    assert len(parse_agent_request({"message": "x" * 4000}).message) == 4000
    parsed = parse_agent_request({"message": "hi", "context": {"time_range": {"start": "2025-01-01",
                                                                             "end": "2026-01-02"}}})
    assert (parsed.end - parsed.start).days == 366
    assert parse_client_time("2024-02-29") == datetime(2024, 2, 29)
    with pytest.raises(ValueError):
        parse_client_time("2023-02-29")


def test_an_explicit_offset_is_converted_to_utc():
    parsed = parse_agent_request({"message": "hi", "context": {
        "time_range": {"start": "2026-10-01T02:00:00+02:00", "end": "2026-10-02T00:00:00-05:00"},
        "now": "2026-10-03T12:00:00+05:30"}})
    assert (parsed.start, parsed.end, parsed.now) == (
        datetime(2026, 10, 1), datetime(2026, 10, 2, 5), datetime(2026, 10, 3, 6, 30))
