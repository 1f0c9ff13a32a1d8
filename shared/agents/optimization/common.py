"""What every lever shares: the replay context, catalog re-pricing, and the shape of a finding.

- ``Context``: the usage profile of the range (``shared.agents.data.usage_profile``), the days it
  spans, the spend, the catalog and the analysis end date.
- ``Cell``: one optimization cell -- a feature's requests on one model and provider, batch or
  not -- with its ``Measures``.
- ``repriced(cell, actual, base, counterfactual)``: what a cell would have cost at other
  catalog rates. The catalog's relative difference is applied to what was actually paid
  (``actual x counterfactual / base``), so negotiated or reported prices keep their proportion
  and a saving can never exceed what the cell cost.
- ``Outcome``: a lever's verdict -- at most one ``Recommendation``, any number of
  not-recommended notes, and the saving per (feature, model) pair the total combines.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shared.agents.data.usage_profile import Measures, UsageProfile
from shared.pricing import Catalog, ModelPrice, cost_usd

DAYS_PER_MONTH = 30.0


@dataclass(frozen=True)
class Cell:
    feature: str
    model: str
    provider: str
    batch: bool
    m: Measures

    @property
    def pair(self) -> tuple[str, str]:
        return (self.feature, self.model)


@dataclass(frozen=True)
class Context:
    profile: UsageProfile
    catalog: Catalog
    days: float
    spend: float
    end_date: date

    def cells(self) -> list[Cell]:
        return [Cell(f, m, p, b, measures)
                for (f, m, p, b), measures in sorted(self.profile.cells.items(), key=lambda kv: kv[0])]

    def price(self, cell: Cell) -> ModelPrice | None:
        return self.catalog.lookup(cell.model, cell.provider)

    def monthly(self, amount: float) -> float:
        return amount * DAYS_PER_MONTH / self.days if self.days > 0 else 0.0


def list_price(price: ModelPrice, m: Measures, batch: bool) -> float:
    """The catalog price of a cell's tokens on ``price``'s model."""
    return cost_usd(price, m.prompt_tokens, m.completion_tokens, m.cached_tokens, m.cache_write_tokens, batch)


def repriced(actual: float, base: float, counterfactual: float) -> float:
    """Saving when ``base`` list dollars become ``counterfactual``, scaled to the ``actual`` paid; never below 0."""
    if base <= 0 or actual <= 0 or counterfactual >= base:
        return 0.0
    return actual * (1.0 - max(counterfactual, 0.0) / base)


@dataclass
class Recommendation:
    lever: str
    title: str
    saving: float  # over the analysed range, USD
    confidence: float
    method: str
    assumptions: list[str]
    records: int
    sample_request_ids: list[str]
    risk: str
    details: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Outcome:
    lever: str
    recommendation: Recommendation | None = None
    not_recommended: list[dict[str, Any]] = field(default_factory=list)
    pair_savings: dict[tuple[str, str], float] = field(default_factory=dict)
    sample_cells: list[Cell] = field(default_factory=list)  # where to draw sample request ids from

    def skip(self, reason: str, **details: Any) -> Outcome:
        self.not_recommended.append({"lever": self.lever, "reason": reason, "details": details})
        return self

    def add_saving(self, cell: Cell, saving: float) -> None:
        if saving > 0:
            self.pair_savings[cell.pair] = self.pair_savings.get(cell.pair, 0.0) + saving


def money(amount: float) -> str:
    return f"${amount:,.2f}" if abs(amount) >= 0.01 else f"${amount:,.6f}"


def weighted_confidence(parts: list[tuple[float, float]]) -> float:
    """Saving-weighted mean of ``(saving, confidence)`` pairs."""
    total = sum(saving for saving, _ in parts)
    if total <= 0:
        return 0.0
    return round(sum(saving * confidence for saving, confidence in parts) / total, 2)


def merged_samples(*groups: list[str | None], limit: int = 5) -> list[str]:
    seen: list[str] = []
    for group in groups:
        for request_id in group:
            if request_id and request_id not in seen:
                seen.append(request_id)
    return sorted(seen)[:limit]
