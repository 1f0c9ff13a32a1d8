"""LiteLLM proxy spend logs: rows of its ``LiteLLM_SpendLogs`` table (CSV export or JSON Lines).

Required columns: ``request_id, startTime, model, prompt_tokens,
completion_tokens``. Mapping:

- ``spend`` -> ``cost_usd`` (a given spend is the truth; empty -> priced from the catalog);
- ``endTime - startTime`` -> ``latency_ms`` (empty when ``endTime`` is missing);
- ``model`` (``model_group`` when ``model`` is empty); ``custom_llm_provider`` -> ``provider``;
- feature: the first ``feature:<name>`` tag, else the first tag, from ``request_tags``
  (a JSON list or comma-separated text), else ``metadata.tags``; ``untagged`` when none;
- cached tokens: ``metadata.usage_object.prompt_tokens_details.cached_tokens`` or
  ``cache_read_input_tokens``; cache writes: ``cache_creation_input_tokens``;
- ``cache_key`` (unless ``Cache OFF``) -> ``prompt_hash``; ``status`` (or
  ``metadata.status``) -> ``status``; ``end_user`` (else ``user``) -> ``end_user``;
- ``max_tokens`` from ``proxy_server_request`` when it is logged.

Other columns (``api_key``, ``call_type``, ``messages``, ...) are read past.
"""
from __future__ import annotations

import json
from typing import Any

from shared.usage.costing import Pricer, finish
from shared.usage.records import MAX_COST_USD, Record, RowCheck, normalise_status

NAME = "litellm"
REQUIRED = ("request_id", "startTime", "model", "prompt_tokens", "completion_tokens")
OPTIONAL = ()
REFUSES_UNKNOWN_COLUMNS = False
UNTAGGED = "untagged"


def detect(columns: set[str]) -> bool:
    return "startTime" in columns or ("spend" in columns and "call_type" in columns)


def expand(obj: dict) -> list[tuple[str, dict]]:
    return [("", obj)]


def _json_value(check: RowCheck, field: str, value: Any) -> Any:
    """A JSON column: already decoded in JSON Lines, text in CSV."""
    if value is None or isinstance(value, (dict, list)):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        check.fail(field, "is not valid JSON")
        return None


def _tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(tag).strip() for tag in value if str(tag).strip()]
    if isinstance(value, str):
        return [tag.strip() for tag in value.split(",") if tag.strip()]
    return []


def _feature(check: RowCheck, row: dict, metadata: dict) -> str | None:
    raw = row.get("request_tags")
    if isinstance(raw, str) and raw.strip().startswith("["):
        raw = _json_value(check, "request_tags", raw)
    tags = _tags(raw) or _tags(metadata.get("tags"))
    for tag in tags:
        if tag.lower().startswith("feature:") and tag[8:].strip():
            return check.text("request_tags", tag[8:].strip(), limit_key="feature")
    return check.text("request_tags", tags[0], limit_key="feature") if tags else UNTAGGED


def _usage_tokens(check: RowCheck, row: dict, metadata: dict) -> tuple[int, int]:
    usage = metadata.get("usage_object")
    if not isinstance(usage, dict):
        usage = {}
    details = usage.get("prompt_tokens_details")
    if not isinstance(details, dict):
        details = {}
    cached = row.get("cache_read_input_tokens")
    if cached in (None, ""):
        cached = details.get("cached_tokens") or usage.get("cache_read_input_tokens")
    written = row.get("cache_creation_input_tokens")
    if written in (None, ""):
        written = usage.get("cache_creation_input_tokens")
    return (check.integer("cache_read_input_tokens", cached, required=False, default=0),
            check.integer("cache_creation_input_tokens", written, required=False, default=0))


def _max_tokens(check: RowCheck, row: dict) -> int | None:
    request = row.get("proxy_server_request")
    if request in (None, ""):
        return None
    request = _json_value(check, "proxy_server_request", request)
    if not isinstance(request, dict):
        return None
    value = request.get("max_completion_tokens", request.get("max_tokens"))
    return check.integer("proxy_server_request", value, required=False)


def parse(row: dict, check: RowCheck, pricer: Pricer) -> Record | None:
    get = row.get
    metadata = _json_value(check, "metadata", get("metadata"))
    if not isinstance(metadata, dict):
        metadata = {}
    model = get("model")
    if model is None or (isinstance(model, str) and not model.strip()):
        model = get("model_group")
    start = check.timestamp("startTime", get("startTime"))
    end = check.timestamp("endTime", get("endTime"), required=False)
    latency = None
    if start is not None and end is not None:
        if end < start:
            check.fail("endTime", "is before startTime")
        else:
            latency = (end - start).total_seconds() * 1000.0
    cache_key = check.text("cache_key", get("cache_key"), required=False, limit_key="prompt_hash")
    if cache_key is not None and cache_key.lower() == "cache off":
        cache_key = None
    status = get("status")
    if status in (None, ""):
        status = metadata.get("status")
    end_user = get("end_user")
    if end_user in (None, ""):
        end_user = get("user")
    cached, written = _usage_tokens(check, row, metadata)
    return finish(
        check, pricer, NAME,
        request_id=check.text("request_id", get("request_id")),
        timestamp=start,
        provider=check.text("custom_llm_provider", get("custom_llm_provider"), required=False,
                            limit_key="provider"),
        model=check.text("model", model),
        feature=_feature(check, row, metadata),
        prompt_tokens=check.integer("prompt_tokens", get("prompt_tokens")),
        completion_tokens=check.integer("completion_tokens", get("completion_tokens")),
        cached_tokens=cached,
        cache_write_tokens=written,
        latency_ms=latency,
        status=normalise_status(check.text("status", status, required=False)),
        cost=check.number("spend", get("spend"), maximum=MAX_COST_USD),
        max_tokens=_max_tokens(check, row),
        prompt_hash=cache_key,
        end_user=check.text("end_user", end_user, required=False),
    )
