"""Properties of import and summary over generated rows, on both backends."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.db import transaction
from shared.usage import import_stream, summarize
from tests.support.usage_import import to_csv, to_jsonl
from tests.support.users import create_user
from tests.usage.test_import_formats import OURS

MODELS = [("openai", "gpt-4o-mini"), ("anthropic", "claude-haiku-4-5"), ("gemini", "gemini-2.5-flash"),
          ("acme", "acme-7b")]
START = datetime(2026, 10, 1)
INT_FIELDS = ("requests", "records", "prompt_tokens", "completion_tokens", "cached_tokens", "errors",
              "unpriced_requests")
PROPERTY_SETTINGS = settings(max_examples=25, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.too_slow])


@st.composite
def usage_row(draw) -> dict:
    provider, model = draw(st.sampled_from(MODELS))
    prompt = draw(st.integers(0, 200_000))
    return {
        "request_id": draw(st.text("abcdef0123456789-", min_size=1, max_size=12)),
        "timestamp": (START + timedelta(seconds=draw(st.integers(0, 60 * 86400)))).isoformat() + "Z",
        "provider": provider, "model": model,
        "feature": draw(st.sampled_from(["chat", "search", "summaries", "Ünïcode feature"])),
        "prompt_tokens": prompt, "completion_tokens": draw(st.integers(0, 50_000)),
        "cached_tokens": draw(st.one_of(st.none(), st.integers(0, prompt))),
        "latency_ms": draw(st.one_of(st.none(), st.integers(0, 120_000))),
        "status": draw(st.sampled_from([None, "success", "error", "timeout"])),
        "cost_usd": draw(st.one_of(st.none(), st.floats(0, 1000, allow_nan=False, allow_infinity=False))),
        "prompt_hash": draw(st.one_of(st.none(), st.text("0123456789abcdef", min_size=4, max_size=8))),
    }


rows_strategy = st.lists(usage_row(), min_size=1, max_size=40)


def run_import(user_id: str, body: bytes, mimetype: str):
    return import_stream(user_id, io.BytesIO(body), mimetype, rows_per_batch=7)


def summary(user_id: str) -> dict:
    with transaction() as conn:
        return summarize(conn, user_id)


def assert_same_measures(left: dict, right: dict) -> None:
    for name in INT_FIELDS:
        assert left[name] == right[name], name
    assert left["cost_usd"] == pytest.approx(right["cost_usd"], rel=1e-9, abs=1e-12)


@PROPERTY_SETTINGS
@given(rows=rows_strategy)
def test_import_is_idempotent(database, rows):
    user = create_user("prop")
    body = to_csv(rows, OURS)
    first = run_import(user.id, body, "text/csv")
    unique_ids = len({row["request_id"] for row in rows})
    assert first.rejected == 0
    assert (first.imported, first.duplicates) == (unique_ids, len(rows) - unique_ids)
    before = summary(user.id)
    second = run_import(user.id, body, "text/csv")
    assert (second.imported, second.duplicates, second.rejected) == (0, len(rows), 0)
    assert summary(user.id) == before


@PROPERTY_SETTINGS
@given(rows=rows_strategy)
def test_csv_and_json_lines_of_the_same_rows_give_the_same_totals(database, rows):
    csv_user, jsonl_user = create_user("csv"), create_user("jsonl")
    by_csv = run_import(csv_user.id, to_csv(rows, OURS), "text/csv")
    by_jsonl = run_import(jsonl_user.id, to_jsonl(rows), "application/x-ndjson")
    assert (by_csv.imported, by_csv.duplicates, by_csv.rejected) == (
        by_jsonl.imported, by_jsonl.duplicates, by_jsonl.rejected)
    assert by_csv.cost_sources == by_jsonl.cost_sources
    left, right = summary(csv_user.id), summary(jsonl_user.id)
    assert_same_measures(left["totals"], right["totals"])
    for breakdown, key in (("by_model", "model"), ("by_feature", "feature"), ("by_day", "day")):
        left_parts = {part[key]: part for part in left[breakdown]}
        right_parts = {part[key]: part for part in right[breakdown]}
        assert left_parts.keys() == right_parts.keys()
        for name in left_parts:
            assert_same_measures(left_parts[name], right_parts[name])


@PROPERTY_SETTINGS
@given(rows=rows_strategy)
def test_summary_totals_equal_the_sum_of_their_parts(database, rows):
    user = create_user("parts")
    run_import(user.id, to_jsonl(rows), "application/x-ndjson")
    body = summary(user.id)
    totals = body["totals"]
    for breakdown in ("by_model", "by_provider", "by_feature", "by_day"):
        parts = body[breakdown]
        for name in INT_FIELDS:
            assert sum(part[name] for part in parts) == totals[name], (breakdown, name)
        assert sum(part["cost_usd"] for part in parts) == pytest.approx(totals["cost_usd"], rel=1e-9, abs=1e-9)
