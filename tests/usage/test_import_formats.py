"""Each import format, as CSV and as JSON Lines, lands with exact counts and exact stored values
(costs in whole nano-dollars, read back as ``Decimal``)."""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from shared.db import transaction
from shared.db.money import to_nanos
from shared.db.schema import usage_records
from shared.pricing import catalog, cost_usd
from shared.usage.formats.openai_usage import derived_request_id
from tests.support.usage_import import post_import, to_csv, to_jsonl

CSV, JSONL = "text/csv", "application/x-ndjson"
OURS = ["request_id", "timestamp", "provider", "model", "feature", "prompt_tokens", "completion_tokens",
        "cached_tokens", "latency_ms", "status", "cost_usd", "prompt_hash"]


def stored(user_id: str) -> dict[str, dict]:
    with transaction() as conn:
        rows = conn.execute(select(usage_records).where(usage_records.c.user_id == user_id)).mappings().all()
    return {row["request_id"]: dict(row) for row in rows}


def ours(request_id: str, **values) -> dict:
    row = {"request_id": request_id, "timestamp": "2026-11-02T09:30:00Z", "provider": "openai",
           "model": "gpt-4o-mini", "feature": "chat", "prompt_tokens": 1200, "completion_tokens": 300,
           "cached_tokens": "", "latency_ms": "", "status": "", "cost_usd": "", "prompt_hash": ""}
    row.update(values)
    return row


def price(model: str, provider: str | None = None):
    found = catalog().lookup(model, provider)
    assert found is not None, model
    return found


OURS_ROWS = [
    ours("t-1", cached_tokens=1024, latency_ms=812.4, status="ok", prompt_hash="h1"),
    ours("t-2", model="claude-haiku-4-5", provider="anthropic", feature="search", cost_usd="0.0123",
         timestamp="2026-11-02T10:00:00+02:00"),
    ours("t-3", model="acme-internal-7b", provider="acme", feature="search", status="failure"),
]


@pytest.mark.parametrize("content_type", [CSV, JSONL])
def test_tokenwise_format_imports_exact_values(client, make_user, content_type):
    user = make_user()
    body = to_csv(OURS_ROWS, OURS) if content_type == CSV else to_jsonl(OURS_ROWS)
    response = post_import(client, user, body, content_type)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "imported": 3, "duplicates": 0, "rejected": 0, "errors": [], "errors_truncated": False,
        "format": "tokenwise", "rows": 3, "cost_sources": {"computed": 1, "reported": 1, "unpriced": 1},
        "unpriced_models": {"acme-internal-7b": 1}}
    rows = stored(user.id)
    first = rows["t-1"]
    assert first["timestamp"] == datetime(2026, 11, 2, 9, 30)
    assert (first["provider"], first["model"], first["feature"]) == ("openai", "gpt-4o-mini", "chat")
    assert (first["prompt_tokens"], first["completion_tokens"], first["cached_tokens"]) == (1200, 300, 1024)
    assert first["latency_ms"] == 812 and first["status"] == "success" and first["prompt_hash"] == "h1"
    assert first["cost_source"] == "computed" and first["request_count"] == 1
    assert first["cost_usd"] == to_nanos(cost_usd(price("gpt-4o-mini"), 1200, 300, 1024))
    second = rows["t-2"]
    assert second["timestamp"] == datetime(2026, 11, 2, 8, 0)  # +02:00 stored as UTC
    assert (second["cost_usd"], second["cost_source"]) == (Decimal("0.0123"), "reported")
    assert second["latency_ms"] is None and second["prompt_hash"] is None
    third = rows["t-3"]
    assert (third["cost_usd"], third["cost_source"], third["status"]) == (None, "unpriced", "error")


def test_tokenwise_optional_columns_and_batch_rates(client, make_user):
    user = make_user()
    row = ours("b-1", model="claude-haiku-4-5", provider="anthropic", cached_tokens=200)
    row.update(max_tokens=4096, is_batch="true", cache_write_tokens=300, end_user="team-a")
    response = post_import(client, user, to_csv([row]))
    assert response.status_code == 200 and response.get_json()["imported"] == 1
    record = stored(user.id)["b-1"]
    assert (record["max_tokens"], record["is_batch"], record["cache_write_tokens"], record["end_user"]) == (
        4096, True, 300, "team-a")
    expected = cost_usd(price("claude-haiku-4-5"), 1200, 300, 200, 300, batch=True)
    assert record["cost_usd"] == to_nanos(expected)


LITELLM_ROWS = [
    {"request_id": "chatcmpl-1", "call_type": "acompletion", "api_key": "88dc28", "spend": 0.00042,
     "total_tokens": 1500, "prompt_tokens": 1200, "completion_tokens": 300,
     "startTime": "2026-11-03T12:00:00.000Z", "endTime": "2026-11-03T12:00:01.250Z",
     "model": "gpt-4o-mini", "model_group": "fast", "custom_llm_provider": "openai", "user": "u-7",
     "metadata": {"usage_object": {"prompt_tokens_details": {"cached_tokens": 256}}, "tags": ["ignored"]},
     "cache_hit": "False", "cache_key": "Cache OFF", "request_tags": ["env:prod", "feature:search"],
     "end_user": ""},
    {"request_id": "chatcmpl-2", "call_type": "acompletion", "api_key": "88dc28", "spend": None,
     "total_tokens": 900, "prompt_tokens": 800, "completion_tokens": 100,
     "startTime": "2026-11-03 13:00:00", "endTime": "2026-11-03 13:00:04",
     "model": "claude-haiku-4-5", "model_group": "smart", "custom_llm_provider": "anthropic", "user": "",
     "metadata": {"tags": ["support"], "usage_object": {"cache_read_input_tokens": 100,
                                                        "cache_creation_input_tokens": 200}},
     "cache_hit": "False", "cache_key": "4be0c1f0", "request_tags": [], "end_user": "cust-9"},
]


def _litellm_csv(rows: list[dict]) -> bytes:
    flat = [{k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()} for row in rows]
    return to_csv(flat)


@pytest.mark.parametrize("content_type", [CSV, JSONL])
def test_litellm_spend_logs_map_to_records(client, make_user, content_type):
    user = make_user()
    body = _litellm_csv(LITELLM_ROWS) if content_type == CSV else to_jsonl(LITELLM_ROWS)
    response = post_import(client, user, body, content_type)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["format"], body["imported"], body["duplicates"], body["rejected"]) == ("litellm", 2, 0, 0)
    assert body["cost_sources"] == {"reported": 1, "computed": 1}
    rows = stored(user.id)
    first = rows["chatcmpl-1"]
    assert (first["feature"], first["latency_ms"], first["cached_tokens"]) == ("search", 1250, 256)
    assert (first["cost_usd"], first["cost_source"], first["prompt_hash"]) == (
        Decimal("0.00042"), "reported", None)
    assert (first["provider"], first["end_user"], first["source_format"]) == ("openai", "u-7", "litellm")
    second = rows["chatcmpl-2"]
    assert (second["feature"], second["latency_ms"], second["prompt_hash"]) == ("support", 4000, "4be0c1f0")
    assert (second["cached_tokens"], second["cache_write_tokens"], second["end_user"]) == (100, 200, "cust-9")
    expected = cost_usd(price("claude-haiku-4-5"), 800, 100, 100, 200)
    assert second["cost_source"] == "computed"
    assert second["cost_usd"] == to_nanos(expected)


OPENAI_RESULTS = [
    {"object": "organization.usage.completions.result", "start_time": 1762128000, "end_time": 1762214400,
     "model": "gpt-4o-mini-2024-07-18", "input_tokens": 50000, "output_tokens": 8000,
     "input_cached_tokens": 20000, "num_model_requests": 40, "project_id": "proj_search",
     "user_id": None, "api_key_id": "key_1", "batch": False, "service_tier": None},
    {"object": "organization.usage.completions.result", "start_time": 1762128000, "end_time": 1762214400,
     "model": "gpt-4o-mini-2024-07-18", "input_tokens": 90000, "output_tokens": 12000,
     "input_cached_tokens": 0, "num_model_requests": 15, "project_id": "proj_search",
     "user_id": None, "api_key_id": "key_1", "batch": True, "service_tier": None},
]


def test_openai_usage_results_become_one_record_each(client, make_user):
    user = make_user()
    response = post_import(client, user, to_jsonl(OPENAI_RESULTS), JSONL)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["format"], body["imported"], body["rejected"], body["cost_sources"]) == (
        "openai", 2, 0, {"computed": 2})
    rows = stored(user.id)
    interactive = rows[derived_request_id(OPENAI_RESULTS[0])]
    batch = rows[derived_request_id(OPENAI_RESULTS[1])]
    assert interactive["timestamp"] == datetime(2025, 11, 3, 0, 0)
    assert (interactive["request_count"], interactive["prompt_tokens"], interactive["cached_tokens"]) == (
        40, 50000, 20000)
    assert (interactive["feature"], interactive["provider"], interactive["latency_ms"]) == (
        "proj_search", "openai", None)
    model = price("gpt-4o-mini-2024-07-18")
    assert interactive["cost_usd"] == to_nanos(cost_usd(model, 50000, 8000, 20000))
    assert batch["is_batch"] is True
    assert batch["cost_usd"] == to_nanos(cost_usd(model, 90000, 12000, 0, batch=True))
    again = post_import(client, user, to_jsonl(OPENAI_RESULTS), JSONL).get_json()
    assert (again["imported"], again["duplicates"]) == (0, 2)


def test_openai_bucket_lines_and_csv_give_the_same_records(client, make_user):
    bucket = {"object": "bucket", "start_time": 1762128000, "end_time": 1762214400,
              "results": [{k: v for k, v in r.items() if k not in ("start_time", "end_time")}
                          for r in OPENAI_RESULTS]}
    user = make_user()
    response = post_import(client, user, to_jsonl([bucket]), JSONL)
    assert response.status_code == 200 and response.get_json()["imported"] == 2
    csv_user = make_user()
    csv_rows = [{**r, "start_time": "2025-11-03T00:00:00Z", "end_time": "2025-11-04T00:00:00Z"}
                for r in OPENAI_RESULTS]
    response = post_import(client, csv_user, to_csv(csv_rows), CSV)
    assert response.status_code == 200 and response.get_json()["format"] == "openai"
    assert set(stored(user.id)) == set(stored(csv_user.id)) == {derived_request_id(r) for r in OPENAI_RESULTS}


def test_openai_page_line_is_expanded(client, make_user):
    page = {"object": "page", "has_more": False, "next_page": None,
            "data": [{"object": "bucket", "start_time": 1762128000, "end_time": 1762214400,
                      "results": [OPENAI_RESULTS[0]]},
                     {"object": "bucket", "start_time": 1762214400, "end_time": 1762300800, "results": []}]}
    user = make_user()
    response = post_import(client, user, to_jsonl([page]), JSONL)
    assert response.status_code == 200, response.get_json()
    assert (response.get_json()["format"], response.get_json()["imported"]) == ("openai", 1)


@pytest.mark.parametrize("fmt, body, content_type", [
    ("tokenwise", to_csv(OURS_ROWS, OURS), CSV),
    ("litellm", to_jsonl(LITELLM_ROWS), JSONL),
    ("openai", to_jsonl(OPENAI_RESULTS), JSONL),
])
def test_explicit_format_matches_detection(client, make_user, fmt, body, content_type):
    user = make_user()
    response = post_import(client, user, body, content_type, fmt=fmt)
    assert response.status_code == 200 and response.get_json()["format"] == fmt
