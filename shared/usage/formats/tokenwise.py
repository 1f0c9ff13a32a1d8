"""Our own import format: one row per request, header names exactly as written below.

Required columns (in any order): ``request_id, timestamp, provider, model,
feature, prompt_tokens, completion_tokens, cached_tokens, latency_ms, status,
cost_usd, prompt_hash``; the values of ``cached_tokens``, ``latency_ms``,
``status``, ``cost_usd`` and ``prompt_hash`` may be empty. Optional columns:
``cache_write_tokens``, ``max_tokens`` (the request's limit, which the
max_tokens analysis needs), ``is_batch`` (true when sent through a batch API),
``end_user``. Any other column is refused, so that a typo is not silently ignored.
"""
from __future__ import annotations

from shared.usage.costing import Pricer, finish
from shared.usage.records import MAX_COST_USD, Record, RowCheck, normalise_status

NAME = "tokenwise"
REQUIRED = ("request_id", "timestamp", "provider", "model", "feature", "prompt_tokens",
            "completion_tokens", "cached_tokens", "latency_ms", "status", "cost_usd", "prompt_hash")
OPTIONAL = ("cache_write_tokens", "max_tokens", "is_batch", "end_user")
REFUSES_UNKNOWN_COLUMNS = True


def detect(columns: set[str]) -> bool:
    return "timestamp" in columns and "prompt_tokens" in columns and "request_id" in columns


def expand(obj: dict) -> list[tuple[str, dict]]:
    return [("", obj)]


def parse(row: dict, check: RowCheck, pricer: Pricer) -> Record | None:
    get = row.get
    status = check.text("status", get("status"), required=False)
    return finish(
        check, pricer, NAME,
        request_id=check.text("request_id", get("request_id")),
        timestamp=check.timestamp("timestamp", get("timestamp")),
        provider=check.text("provider", get("provider")),
        model=check.text("model", get("model")),
        feature=check.text("feature", get("feature")),
        prompt_tokens=check.integer("prompt_tokens", get("prompt_tokens")),
        completion_tokens=check.integer("completion_tokens", get("completion_tokens")),
        cached_tokens=check.integer("cached_tokens", get("cached_tokens"), required=False, default=0),
        cache_write_tokens=check.integer("cache_write_tokens", get("cache_write_tokens"), required=False,
                                         default=0),
        latency_ms=check.number("latency_ms", get("latency_ms")),
        status=normalise_status(status),
        cost=check.number("cost_usd", get("cost_usd"), maximum=MAX_COST_USD),
        is_batch=check.boolean("is_batch", get("is_batch")),
        max_tokens=check.integer("max_tokens", get("max_tokens"), required=False),
        prompt_hash=check.text("prompt_hash", get("prompt_hash"), required=False),
        end_user=check.text("end_user", get("end_user"), required=False),
    )
