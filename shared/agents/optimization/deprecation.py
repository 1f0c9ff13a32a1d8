"""Lever ``model_deprecation``: requests on models the catalog marks deprecated, moved to their successors.

A model is deprecated when its catalog ``deprecation_date`` is on or before the analysis end. Its
successor is the catalog's ``successor_model``, followed while that one is itself deprecated
(at most ``MAX_HOPS`` links). The cells' own tokens are re-priced at the successor's rates
(batch rates for batch cells). A cheaper successor is a saving; a dearer one is a cost the move
will bring, reported under not_recommended with the monthly amount -- never as a saving; a
deprecated model without a successor in the catalog is named there too.
"""
from __future__ import annotations

from shared.agents.optimization import levers
from shared.agents.optimization.common import (
    Context,
    Outcome,
    Recommendation,
    list_price,
    money,
    repriced,
)
from shared.pricing import ModelPrice

LEVER = levers.MODEL_DEPRECATION
MAX_HOPS = 5


def successor(ctx: Context, price: ModelPrice) -> ModelPrice | None:
    current = price
    for _ in range(MAX_HOPS):
        name = current.successor_model
        nxt = ctx.catalog.lookup(name, current.provider) if name else None
        if nxt is None:
            return None
        if not nxt.is_deprecated(ctx.end_date):
            return nxt
        current = nxt
    return None


def evaluate(ctx: Context) -> Outcome:
    outcome = Outcome(LEVER)
    moves: dict[tuple[str, str], dict] = {}
    orphans: dict[str, str] = {}
    for cell in ctx.cells():
        price = ctx.price(cell)
        if price is None or not price.is_deprecated(ctx.end_date) or cell.m.cost_usd <= 0:
            continue
        deprecated_on = price.deprecation_date
        assert deprecated_on is not None  # is_deprecated holds only for a model with a deprecation date
        target = successor(ctx, price)
        if target is None:
            orphans[cell.model] = deprecated_on.isoformat()
            continue
        base, after = list_price(price, cell.m, cell.batch), list_price(target, cell.m, cell.batch)
        scale = cell.m.cost_usd / base if base > 0 else 0.0
        move = moves.setdefault((cell.model, target.model), {
            "model": cell.model, "successor": target.model, "deprecated_on": deprecated_on.isoformat(),
            "records": 0, "cost_usd": 0.0, "successor_cost_usd": 0.0, "saving_usd": 0.0, "cells": []})
        move["records"] += cell.m.records
        move["cost_usd"] += cell.m.cost_usd
        move["successor_cost_usd"] += after * scale
        saving = repriced(cell.m.cost_usd, base, after)
        move["saving_usd"] += saving
        move["cells"].append((cell, saving))
    for model, day in sorted(orphans.items()):
        outcome.skip(f"{model} was deprecated on {day} and the catalog names no successor to price.",
                     model=model, deprecated_on=day)
    winners = []
    for key in sorted(moves):
        move = moves[key]
        change = move["successor_cost_usd"] - move["cost_usd"]
        if change >= 0:
            outcome.skip(
                f"{move['model']} was deprecated on {move['deprecated_on']}; its successor {move['successor']} "
                f"costs more for the same tokens: about {money(ctx.monthly(change))}/month extra. "
                "Plan the migration as a cost increase, not a saving.",
                model=move["model"], successor=move["successor"],
                monthly_cost_increase_usd=round(ctx.monthly(change), 6))
            continue
        winners.append(move)
        for cell, saving in move["cells"]:
            outcome.add_saving(cell, saving)
            outcome.sample_cells.append(cell)
    if not moves and not orphans:
        return outcome.skip("No request in this range used a model the catalog marks deprecated.")
    if not winners:
        return outcome
    saving = sum(move["saving_usd"] for move in winners)
    listed = "; ".join(f"{m['model']} (deprecated {m['deprecated_on']}) → {m['successor']}" for m in winners)
    outcome.recommendation = Recommendation(
        lever=LEVER, title="Move off deprecated models to their cheaper successors", saving=saving,
        confidence=0.85,
        method=f"Re-priced the requests on deprecated models at their catalog successors' rates: {listed}.",
        assumptions=["The successor is the model the catalog names as the replacement.",
                     "Token counts stay the same on the successor."],
        records=sum(move["records"] for move in winners), sample_request_ids=[],
        risk="The deprecated model stops answering on its retirement date; test prompts on the successor first.",
        details=[{k: (round(v, 9) if isinstance(v, float) else v) for k, v in m.items() if k != "cells"}
                 for m in winners],
    )
    return outcome
