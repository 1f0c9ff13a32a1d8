"""Usage records written straight into ``usage_records`` for the data and optimization agent tests."""
from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from shared.db import transaction
from shared.db.schema import usage_records
from shared.pricing import catalog, cost_usd
from tests.support.users import create_user

_ids = itertools.count(1)


def make_user(tag: str = "agents") -> str:
    return create_user(tag).id


def catalog_cost(model: str, provider: str, prompt: int, completion: int, cached: int = 0, written: int = 0,
                 batch: bool = False) -> float:
    price = catalog().lookup(model, provider)
    assert price is not None, model
    return cost_usd(price, prompt, completion, cached, written, batch)


def record(timestamp: datetime, *, model: str = "gpt-4o", provider: str = "openai", feature: str = "chat",
           prompt_tokens: int = 100, completion_tokens: int = 50, cost: float | None | str = "catalog",
           **extra) -> dict:
    """One row; ``cost="catalog"`` prices it from the catalog, ``None`` leaves it unpriced."""
    row = {
        "request_id": f"r-{next(_ids):07d}", "timestamp": timestamp, "provider": provider, "model": model,
        "feature": feature, "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
        "cached_tokens": 0, "cache_write_tokens": 0, "latency_ms": None, "status": "success",
        "is_batch": False, "max_tokens": None, "prompt_hash": None, "end_user": None, "request_count": 1,
        "source_format": "tokenwise",
    }
    row.update(extra)
    if cost == "catalog":
        cost = catalog_cost(model, provider, row["prompt_tokens"], row["completion_tokens"], row["cached_tokens"],
                            row["cache_write_tokens"], row["is_batch"])
    row["cost_usd"] = cost
    row["cost_source"] = "unpriced" if cost is None else "reported"
    return row


def insert_records(user_id: str, rows: list[dict]) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    if not rows:
        return
    with transaction() as conn:
        conn.execute(insert(usage_records), [{**row, "user_id": user_id, "imported_at": now} for row in rows])


MODELS = (("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-sonnet-4-5", "anthropic"),
          ("gpt-4-turbo", "openai"), ("claude-haiku-4-5", "anthropic"), ("mystery-llm", "acme"))
FEATURES = ("chat", "nightly_report", "classify")


def usage_rows(start: datetime, end: datetime, max_size: int = 40):
    """A hypothesis strategy: lists of rows around ``[start, end)`` (some just outside it).

    Costs have at most six decimals so that sums in any order round to the same nano-dollars.
    """
    from hypothesis import strategies as st

    span = int((end - start).total_seconds())

    @st.composite
    def one(draw) -> dict:
        model, provider = draw(st.sampled_from(MODELS))
        prompt = draw(st.integers(0, 5000))
        cost = draw(st.one_of(st.none(), st.integers(0, 1_000_000).map(lambda micro: micro / 1e6)))
        return record(
            start + timedelta(seconds=draw(st.integers(-3600, span + 3600))), model=model, provider=provider,
            feature=draw(st.sampled_from(FEATURES)), prompt_tokens=prompt,
            completion_tokens=draw(st.integers(0, 3000)), cost=cost,
            cached_tokens=draw(st.integers(0, prompt // 2)),
            status=draw(st.sampled_from(("success", "success", "error"))),
            prompt_hash=draw(st.sampled_from((None, "a", "b", "c"))),
            latency_ms=draw(st.one_of(st.none(), st.integers(0, 60000))),
            max_tokens=draw(st.sampled_from((None, 256, 4096))),
            request_count=draw(st.sampled_from((1, 1, 1, 3))),
            is_batch=draw(st.booleans()),
        )

    return st.lists(one(), max_size=max_size)
