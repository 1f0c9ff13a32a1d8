"""What an analysis of a user's usage knows, and the order its groups are listed in.

``Measures`` are the sums over one group of records (see ``shared.agents.data.usage_profile`` for
what each one counts); a ``UsageProfile`` holds them for the totals and per model, provider,
feature, day, hour and optimization cell, with the percentiles and runaway outputs.
``measure_values`` types a result row's columns as ``Measures`` fields. ``ranked`` orders groups as
every answer lists them -- the data agent's and the usage summary's: by exact cost, descending,
then by name.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from shared.agents.data.sql import Scope
from shared.db.money import ZERO

_TEXT = {"hit_sample_first", "hit_sample_last", "prompt_hit_sample"}
_OPTIONAL = {"max_tokens_min", "max_tokens_max", "max_prompt", "max_completion"} | _TEXT
_FIELDS = {"cost_usd": "cost"}  # a result column that fills a field of another name


@dataclass(frozen=True)
class Measures:
    """Sums over a group of records (``shared.agents.data.usage_profile`` says what each one counts).

    ``cost`` is the exact sum; ``cost_usd`` the same as a float, for the estimates built on it."""
    requests: int = 0
    records: int = 0
    errors: int = 0
    cost: Decimal = ZERO
    unpriced: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cache_write_tokens: int = 0
    hashed: int = 0
    cache_eligible: int = 0
    cache_eligible_write_tokens: int = 0
    max_tokens_min: int | None = None
    max_tokens_max: int | None = None
    max_tokens_records: int = 0
    truncated: int = 0
    max_prompt: int | None = None
    max_completion: int | None = None
    latency_ms_sum: int = 0
    latency_records: int = 0
    repeated: int = 0
    hits_1h: int = 0
    hits_1h_cost: float = 0.0
    hits_24h: int = 0
    hits_24h_cost: float = 0.0
    prompt_cache_hits: int = 0
    prompt_cache_read_tokens: int = 0
    prompt_cache_hit_write_tokens: int = 0
    hit_sample_first: str | None = None
    hit_sample_last: str | None = None
    prompt_hit_sample: str | None = None

    @property
    def cost_usd(self) -> float:
        return float(self.cost)

    @property
    def mean_latency_ms(self) -> float | None:
        return self.latency_ms_sum / self.latency_records if self.latency_records else None

    @property
    def prompt_cache_misses(self) -> int:
        """Cacheable prompts that would be written to the cache rather than read from it."""
        return self.cache_eligible - self.prompt_cache_hits

    @property
    def prompt_cache_write_tokens(self) -> int:
        return self.cache_eligible_write_tokens - self.prompt_cache_hit_write_tokens


def measure_values(row: dict[str, Any], names) -> dict[str, Any]:
    """Typed fields from the columns ``names`` of a result row (PostgreSQL sums of integers come back as
    Decimal; money columns are read as ``Decimal`` dollars already)."""
    defaults = {item.name: item.default for item in fields(Measures)}
    out = {}
    for name in names:
        key, value = _FIELDS.get(name, name), row.get(name)
        if name in _TEXT:
            out[key] = value
        elif value is None:
            out[key] = None if key in _OPTIONAL else defaults[key]
        elif isinstance(defaults[key], Decimal):
            out[key] = value
        else:
            out[key] = float(value) if isinstance(defaults[key], float) else int(value)
    return out


@dataclass(frozen=True)
class Percentiles:
    count: int
    p50: int | None
    p95: int | None
    p99: int | None


@dataclass(frozen=True)
class Runaway:
    """Outputs of one feature and model longer than the proposed cap."""
    cap: int
    records: int
    excess_tokens: int


@dataclass
class UsageProfile:
    scope: Scope
    totals: Measures = field(default_factory=Measures)
    by_model: dict[tuple[str, str], Measures] = field(default_factory=dict)
    by_provider: dict[str, Measures] = field(default_factory=dict)
    by_feature: dict[str, Measures] = field(default_factory=dict)
    by_day: dict[str, Measures] = field(default_factory=dict)
    by_hour: dict[int, Measures] = field(default_factory=dict)
    cells: dict[tuple[str, str, str, bool], Measures] = field(default_factory=dict)
    prompt: dict[str, Percentiles] = field(default_factory=dict)
    completion: dict[str, Percentiles] = field(default_factory=dict)
    latency: Percentiles | None = None
    runaway: dict[tuple[str, str], Runaway] = field(default_factory=dict)


def ranked(groups: Mapping[Hashable, Measures]) -> list[tuple[tuple, Measures]]:
    """``(key as a tuple, measures)`` of each group, by exact cost (descending), then by key."""
    items = [(key if isinstance(key, tuple) else (key,), m) for key, m in groups.items()]
    return sorted(items, key=lambda item: (-item[1].cost, *(str(part) for part in item[0])))
