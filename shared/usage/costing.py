"""Finish a checked row into a ``Record``: cross-field rules, provider, and cost with its source.

Cost rules: a cost that came with the record is the truth (``cost_source``
``reported``); an empty cost is priced from the catalog with
``shared.pricing.cost_usd`` (``computed``, batch rates for batch records,
cache-read and cache-write rates for cached tokens); a model the catalog does
not know, with no cost given, is stored with cost NULL (``unpriced``) and
counted in ``Pricer.unpriced_models`` -- never priced by guess. Either cost is
kept to whole nano-dollars (``shared.db.money``), as the float nearest to that
amount: PostgreSQL reads it back from its shortest text, SQLite keeps the float.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from shared.db.money import to_nanos
from shared.pricing import Catalog, ModelPrice, catalog, cost_usd
from shared.usage.records import Record, RowCheck

REPORTED, COMPUTED, UNPRICED = "reported", "computed", "unpriced"


class Pricer:
    """Prices records for one import, remembering each model's catalog entry and what it priced."""

    def __init__(self, prices: Catalog | None = None):
        self.catalog = prices or catalog()
        self._lookups: dict[tuple[str, str | None], ModelPrice | None] = {}
        self.sources: Counter[str] = Counter()
        self.unpriced_models: Counter[str] = Counter()

    def lookup(self, model: str, provider: str | None) -> ModelPrice | None:
        key = (model, provider)
        try:
            return self._lookups[key]
        except KeyError:
            price = self._lookups[key] = self.catalog.lookup(model, provider)
            return price

    def provider_for(self, model: str, given: str | None) -> str:
        """The provider as given (lower-cased), else the catalog's, else the model's ``provider/`` prefix."""
        if given:
            return given.lower()
        price = self.lookup(model, None)
        if price is not None:
            return price.provider
        if "/" in model:
            return model.split("/", 1)[0].lower()
        return "unknown"

    def cost(self, model: str, provider: str, reported: float | None, prompt: int, completion: int,
             cached: int, cache_write: int, batch: bool) -> tuple[float | None, str]:
        if reported is not None:
            self.sources[REPORTED] += 1
            return float(to_nanos(reported)), REPORTED
        price = self.lookup(model, provider)
        if price is None:
            self.sources[UNPRICED] += 1
            self.unpriced_models[model] += 1
            return None, UNPRICED
        self.sources[COMPUTED] += 1
        return float(to_nanos(cost_usd(price, prompt, completion, cached, cache_write, batch))), COMPUTED


def finish(check: RowCheck, pricer: Pricer, source_format: str, *, request_id: str | None,
           timestamp: datetime | None, provider: str | None, model: str | None, feature: str | None,
           prompt_tokens: int | None, completion_tokens: int | None, cached_tokens: int = 0,
           cache_write_tokens: int = 0, latency_ms: float | None = None, status: str = "success",
           cost: float | None = None, is_batch: bool = False, max_tokens: int | None = None,
           prompt_hash: str | None = None, end_user: str | None = None, request_count: int = 1,
           ) -> Record | None:
    """The record, or None when ``check`` holds problems (this adds the cross-field ones)."""
    if check.problems:
        return None
    # Every format checks these as required values, and a required check that gives None records a
    # problem: with none recorded, they are all set.
    assert (request_id is not None and timestamp is not None and model is not None and feature is not None
            and prompt_tokens is not None and completion_tokens is not None)
    if cached_tokens + cache_write_tokens > prompt_tokens:
        field = "cached_tokens" if cached_tokens > prompt_tokens else "cache_write_tokens"
        check.fail(field, "cached and cache-write tokens exceed prompt_tokens")
        return None
    provider = pricer.provider_for(model, provider)
    value, source = pricer.cost(model, provider, cost, prompt_tokens, completion_tokens, cached_tokens,
                                cache_write_tokens, is_batch)
    return Record(request_id, timestamp, provider, model, feature, prompt_tokens, completion_tokens,
                  cached_tokens, cache_write_tokens, None if latency_ms is None else round(latency_ms),
                  status, value, source, is_batch, max_tokens, prompt_hash, end_user, request_count,
                  source_format)
