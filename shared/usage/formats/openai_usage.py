"""OpenAI usage export: the Usage API's "completions" results, which are aggregated buckets.

Each JSON line is one result with its bucket's ``start_time`` (and
``end_time``) -- ``{start_time, end_time, model, input_tokens, output_tokens,
input_cached_tokens, num_model_requests, project_id, user_id, api_key_id,
batch, service_tier}`` -- or a whole bucket (``{"object": "bucket",
start_time, end_time, results: [...]}``) or page (``{"object": "page",
data: [buckets]}``), whose results are expanded; a CSV has the same columns.
Times are Unix seconds or ISO 8601. Required: ``start_time, model,
input_tokens, output_tokens``.

How an aggregated result becomes a record: one record per result row, at the
bucket's start, with ``request_count = num_model_requests`` (1 when absent),
``prompt_tokens = input_tokens`` (which includes ``input_cached_tokens``),
``completion_tokens = output_tokens``, ``cached_tokens = input_cached_tokens``,
provider ``openai``, batch rates when ``batch`` is true, no latency, status
``success``, feature = ``project_id`` (else ``api_key_id``, else ``untagged``),
``end_user = user_id``. Its ``request_id`` is derived deterministically from the
bucket and the grouping keys (``openai-usage:`` + a SHA-256 prefix of start,
end, project, user, API key, model, batch and service tier), so re-importing the
same export is idempotent. Cost is always computed from the catalog: the Usage
API reports tokens, not dollars.
"""
from __future__ import annotations

import hashlib
from typing import Any

from shared.usage.costing import Pricer, finish
from shared.usage.records import Record, RowCheck, parse_timestamp

NAME = "openai"
REQUIRED = ("start_time", "model", "input_tokens", "output_tokens")
OPTIONAL = ()
REFUSES_UNKNOWN_COLUMNS = False
UNTAGGED = "untagged"
KEY_FIELDS = ("project_id", "user_id", "api_key_id", "model", "batch", "service_tier")


def detect(columns: set[str]) -> bool:
    if "input_tokens" in columns and "output_tokens" in columns:
        return True
    return ("num_model_requests" in columns or {"start_time", "results"} <= columns
            or {"object", "data"} <= columns)


def expand(obj: dict) -> list[tuple[str, dict]]:
    """A result line as is; a bucket's or a page's results, each with its bucket's times."""
    kind = obj.get("object")
    if kind == "page" or (kind is None and isinstance(obj.get("data"), list)):
        rows: list[tuple[str, dict]] = []
        for b, bucket in enumerate(obj.get("data") or []):
            if isinstance(bucket, dict):
                rows.extend((f"data[{b}].{prefix}", row) for prefix, row in expand(bucket))
            else:
                rows.append((f"data[{b}].", {}))
        return rows
    if kind == "bucket" or isinstance(obj.get("results"), list):
        times = {"start_time": obj.get("start_time"), "end_time": obj.get("end_time")}
        return [(f"results[{r}].", {**result, **times} if isinstance(result, dict) else {})
                for r, result in enumerate(obj.get("results") or [])]
    return [("", obj)]


def _key_part(value: Any) -> str:
    """One grouping key as text, with booleans spelt the same in CSV and JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value).strip()
    return text.lower() if text.lower() in ("true", "false") else text


def derived_request_id(row: dict) -> str:
    """Stable id of an aggregated result: the same bucket and keys give the same id."""
    parts = []
    for field in ("start_time", "end_time"):
        value = row.get(field)
        try:
            parts.append(parse_timestamp(value).isoformat() if value not in (None, "") else "")
        except (ValueError, OverflowError, OSError):
            parts.append(str(value))
    parts.extend(_key_part(row.get(field)) for field in KEY_FIELDS)
    return "openai-usage:" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:40]


def parse(row: dict, check: RowCheck, pricer: Pricer) -> Record | None:
    get = row.get
    start = check.timestamp("start_time", get("start_time"))
    check.timestamp("end_time", get("end_time"), required=False)
    feature = get("project_id")
    feature_field = "project_id"
    if feature in (None, ""):
        feature, feature_field = get("api_key_id"), "api_key_id"
    return finish(
        check, pricer, NAME,
        request_id=derived_request_id(row) if check.ok else None,
        timestamp=start,
        provider="openai",
        model=check.text("model", get("model")),
        feature=check.text(feature_field, feature, limit_key="feature") if feature not in (None, "")
        else UNTAGGED,
        prompt_tokens=check.integer("input_tokens", get("input_tokens")),
        completion_tokens=check.integer("output_tokens", get("output_tokens")),
        cached_tokens=check.integer("input_cached_tokens", get("input_cached_tokens"), required=False,
                                    default=0),
        is_batch=check.boolean("batch", get("batch")),
        end_user=check.text("user_id", get("user_id"), required=False, limit_key="end_user"),
        request_count=check.integer("num_model_requests", get("num_model_requests"), required=False,
                                    default=1),
    )
