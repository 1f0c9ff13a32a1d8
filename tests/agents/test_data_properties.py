"""Properties of the data agent over random record sets: parts add up, and both backends agree exactly."""
from __future__ import annotations

import math
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings

from shared.agents.data.agent import analyze
from shared.agents.optimization import optimize
from shared.agents.pipeline.events import Emitter
from tests.agents.dataopt_records import insert_records, make_user, usage_rows

START, END = datetime(2026, 11, 1), datetime(2026, 11, 4)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _analyze(rows):
    user = make_user("prop")
    insert_records(user, rows)
    return user, analyze(user, START, END, emitter=Emitter()).to_dict()


@SETTINGS
@given(rows=usage_rows(START, END))
def test_breakdowns_add_up_to_the_totals(database, rows):
    _, d = _analyze(rows)
    totals = d["totals"]
    for name in ("by_model", "by_provider", "by_feature"):
        for measure in ("requests", "prompt_tokens", "completion_tokens"):
            assert sum(item[measure] for item in d[name]) == totals[measure], (name, measure)
        assert math.isclose(sum(item["cost_usd"] for item in d[name]), totals["cost_usd"], abs_tol=1e-8)
    assert sum(day["requests"] for day in d["by_day"]) == totals["requests"]
    assert math.isclose(sum(day["cost_usd"] for day in d["by_day"]), totals["cost_usd"], abs_tol=1e-8)
    assert sum(d["hourly_profile"]) == totals["requests"] and len(d["hourly_profile"]) == 24
    in_range = [r for r in rows if START <= r["timestamp"] < END]
    assert totals["requests"] == sum(r["request_count"] for r in in_range)
    assert totals["unpriced_requests"] == sum(r["request_count"] for r in in_range if r["cost_usd"] is None)
    assert 0.0 <= d["repeated_prompt_share"] <= 1.0 and 0.0 <= totals["error_rate"] <= 1.0
    for shapes in d["token_percentiles"].values():
        for kind in ("prompt", "completion"):
            assert shapes[kind]["p50"] <= shapes[kind]["p95"] <= shapes[kind]["p99"]


def _close(left, right, path="") -> None:
    """Equal structures; floats may differ only in the last bits of a sum."""
    if isinstance(left, float) or isinstance(right, float):
        assert math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9), (path, left, right)
    elif isinstance(left, dict):
        assert left.keys() == right.keys(), path
        for key in left:
            _close(left[key], right[key], f"{path}.{key}")
    elif isinstance(left, list):
        assert len(left) == len(right), path
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            _close(a, b, f"{path}[{index}]")
    else:
        assert left == right, (path, left, right)


@pytest.mark.postgres
@SETTINGS
@given(rows=usage_rows(START, END))
def test_postgresql_and_sqlite_give_the_same_results(sqlite_database, postgresql_database, rows):
    answers = []
    for database in (sqlite_database, postgresql_database):
        database.activate()
        user, data = _analyze(rows)
        savings = optimize(user, START, END, emitter=Emitter()).to_dict()
        answers.append((data, savings))
    (sqlite_data, sqlite_savings), (pg_data, pg_savings) = answers
    assert sqlite_data == pg_data
    _close(sqlite_savings, pg_savings)
