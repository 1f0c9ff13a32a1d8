"""Usage records written straight into ``usage_records`` for the data and optimization agent tests."""
from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timezone

from sqlalchemy import insert

from shared.db import transaction
from shared.db.schema import usage_records, users
from shared.pricing import catalog, cost_usd
from tests.conftest import unique_email

_ids = itertools.count(1)


def make_user(tag: str = "agents") -> str:
    user_id = str(uuid.uuid4())
    with transaction() as conn:
        conn.execute(insert(users).values(id=user_id, email=unique_email(tag), name=tag, password_hash="x",
                                          created_at=datetime.now(timezone.utc).replace(tzinfo=None)))
    return user_id


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
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if not rows:
        return
    with transaction() as conn:
        conn.execute(insert(usage_records), [{**row, "user_id": user_id, "imported_at": now} for row in rows])
