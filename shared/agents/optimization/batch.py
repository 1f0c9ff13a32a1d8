"""Lever ``batch``: latency-tolerant features sent through the providers' batch APIs.

A feature is latency-tolerant when its tag names offline work (``OFFLINE_WORDS``: summaries,
reports, digests, evaluations, backfills, nightly or bulk jobs...; confidence 0.7), or, failing
that, when its mean latency is already at least ``SLOW_MEAN_MS`` and its tag does not name
interactive work (``INTERACTIVE_WORDS``: chat, assistant, completion, agent, search...; confidence
0.45). Its requests not already sent as batch are re-priced at the catalog's batch rates; a model
without batch rates in the catalog gets no saving (and is named in not_recommended).
"""
from __future__ import annotations

import re

from shared.agents.optimization import levers
from shared.agents.optimization.common import (
    Cell,
    Context,
    Outcome,
    Recommendation,
    list_price,
    repriced,
    weighted_confidence,
)

LEVER = levers.BATCH
SLOW_MEAN_MS = 20_000
OFFLINE_WORDS = ("summar", "report", "digest", "nightly", "batch", "bulk", "backfill", "offline", "etl",
                 "eval", "enrich", "index", "export", "analytics", "cron", "scheduled", "async", "archive")
INTERACTIVE_WORDS = ("chat", "assist", "complet", "copilot", "agent", "search", "support", "live",
                     "realtime", "voice", "autocomplete", "interactive")


def _words(feature: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", feature.lower())


def tolerance(ctx: Context, feature: str) -> tuple[float, str] | None:
    """(confidence, why) when the feature can wait for a batch, else None."""
    words = _words(feature)
    if any(word in words for word in OFFLINE_WORDS):
        return 0.7, "its name describes offline work"
    measures = ctx.profile.by_feature.get(feature)
    mean = measures.mean_latency_ms if measures else None
    if mean is not None and mean >= SLOW_MEAN_MS and not any(word in words for word in INTERACTIVE_WORDS):
        return 0.45, f"its mean latency is already {mean:,.0f} ms"
    return None


def evaluate(ctx: Context) -> Outcome:
    outcome = Outcome(LEVER)
    parts: list[tuple[Cell, float, tuple[float, str]]] = []
    no_rates: set[str] = set()
    tolerant: dict[str, tuple[float, str] | None] = {}  # per feature: its verdict, once asked
    for cell in ctx.cells():
        if cell.batch or cell.m.cost_usd <= 0:
            continue
        verdict = tolerant.setdefault(cell.feature, tolerance(ctx, cell.feature))
        if verdict is None:
            continue
        price = ctx.price(cell)
        if price is None:
            continue
        if price.batch_input is None and price.batch_output is None:
            no_rates.add(cell.model)
            continue
        saving = repriced(cell.m.cost_usd, list_price(price, cell.m, False), list_price(price, cell.m, True))
        if saving > 0:
            outcome.add_saving(cell, saving)
            parts.append((cell, saving, verdict))
    if no_rates:
        outcome.skip(f"The catalog has no batch prices for {', '.join(sorted(no_rates))}.")
    if not parts:
        if not any(tolerant.values()):
            outcome.skip("No feature looks latency-tolerant: none is named for offline work and none is "
                         f"already slower than {SLOW_MEAN_MS:,} ms on average.")
        return outcome
    parts.sort(key=lambda part: (-part[1], part[0].feature))
    saving = sum(part[1] for part in parts)
    why = {cell.feature: verdict[1] for cell, _, verdict in parts}
    features = sorted(why)
    reasons = "; ".join(f"{feature}: {why[feature]}" for feature in features)
    outcome.sample_cells = [cell for cell, _, _ in parts]
    outcome.recommendation = Recommendation(
        lever=LEVER, title=f"Send {', '.join(features)} through the batch API", saving=saving,
        confidence=weighted_confidence([(s, verdict[0]) for _, s, verdict in parts]),
        method=("Re-priced the latency-tolerant features' requests at the catalog's batch input and output "
                f"rates for their models ({reasons})."),
        assumptions=["These features' results can wait for a batch window (up to 24 hours).",
                     "Requests already marked as batch are left as they are."],
        records=sum(cell.m.records for cell, _, _ in parts), sample_request_ids=[],
        risk="Results arrive asynchronously within the provider's batch window instead of in seconds.",
        details=[{"feature": c.feature, "model": c.model, "records": c.m.records,
                  "saving_usd": round(s, 9), "monthly_saving_usd": round(ctx.monthly(s), 6),
                  "why": v[1]} for c, s, v in parts],
    )
    return outcome
