"""The price catalog: USD per token for each model, with cache and batch rates where known.

Lookups are exact: a model name, or the same name with or without its
``provider/`` prefix. A model not found is unknown and is never priced by guess.
Token convention: ``prompt_tokens`` includes ``cached_tokens`` (cache reads)
and ``cache_write_tokens`` (tokens written to a provider's prompt cache).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

PRICES = Path(__file__).with_name("model_prices.json")

# Providers as LiteLLM names them, and the names people use in logs.
PROVIDER_ALIASES = {
    "openai": "openai", "azure": "openai", "anthropic": "anthropic", "claude": "anthropic",
    "gemini": "gemini", "google": "gemini", "vertex_ai": "gemini", "mistral": "mistral",
    "deepseek": "deepseek", "xai": "xai", "grok": "xai", "groq": "groq",
}


@dataclass(frozen=True)
class ModelPrice:
    model: str
    provider: str
    input: float
    output: float
    cache_read: float | None
    cache_write: float | None
    batch_input: float | None
    batch_output: float | None
    max_input_tokens: int | None
    max_output_tokens: int | None
    deprecation_date: date | None
    successor_model: str | None
    supports_prompt_caching: bool

    def is_deprecated(self, on: date) -> bool:
        return self.deprecation_date is not None and self.deprecation_date <= on


def _parse_date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _price(name: str, spec: dict) -> ModelPrice:
    return ModelPrice(
        model=name, provider=spec["litellm_provider"],
        input=float(spec["input_cost_per_token"]), output=float(spec.get("output_cost_per_token") or 0.0),
        cache_read=spec.get("cache_read_input_token_cost"),
        cache_write=spec.get("cache_creation_input_token_cost"),
        batch_input=spec.get("input_cost_per_token_batches"),
        batch_output=spec.get("output_cost_per_token_batches"),
        max_input_tokens=spec.get("max_input_tokens"), max_output_tokens=spec.get("max_output_tokens"),
        deprecation_date=_parse_date(spec.get("deprecation_date")),
        successor_model=spec.get("successor_model"),
        supports_prompt_caching=bool(spec.get("supports_prompt_caching")),
    )


class Catalog:
    def __init__(self, models: dict[str, dict], source: str = "", retrieved: str = ""):
        self.models = {name: _price(name, spec) for name, spec in models.items()}
        self.source = source
        self.retrieved = retrieved

    def lookup(self, model: str, provider: str | None = None) -> ModelPrice | None:
        """The price of ``model``, trying ``provider/model`` and the bare name; None if unknown."""
        name = (model or "").strip()
        if not name:
            return None
        candidates = [name]
        if "/" in name:
            candidates.append(name.split("/", 1)[1])
        elif provider:
            candidates.insert(0, f"{normalise_provider(provider)}/{name}")
        for candidate in candidates:
            if candidate in self.models:
                return self.models[candidate]
        return None

    def names(self) -> list[str]:
        return sorted(self.models)


def normalise_provider(provider: str | None) -> str:
    key = (provider or "").strip().lower()
    return PROVIDER_ALIASES.get(key, key)


@lru_cache(maxsize=1)
def catalog() -> Catalog:
    """The vendored catalog, read once per process on first use."""
    document = json.loads(PRICES.read_text())
    return Catalog(document["models"], document.get("source", ""), document.get("retrieved", ""))


def cost_usd(price: ModelPrice, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0,
             cache_write_tokens: int = 0, batch: bool = False) -> float:
    """What one request costs at catalog rates.

    Cache reads use the cache-read rate (the input rate when the catalog has none);
    cache writes use the cache-write rate (the input rate when none); a batch
    request uses batch rates where the catalog has them.
    """
    input_rate, output_rate = price.input, price.output
    if batch:
        input_rate = price.batch_input if price.batch_input is not None else input_rate
        output_rate = price.batch_output if price.batch_output is not None else output_rate
    cached = max(0, min(cached_tokens, prompt_tokens))
    written = max(0, min(cache_write_tokens, prompt_tokens - cached))
    fresh = prompt_tokens - cached - written
    read_rate = price.cache_read if price.cache_read is not None else input_rate
    write_rate = price.cache_write if price.cache_write is not None else input_rate
    return fresh * input_rate + cached * read_rate + written * write_rate + completion_tokens * output_rate
