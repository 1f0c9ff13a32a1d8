"""The combined saving of several levers, without counting a dollar twice.

Per (feature, model) pair, each recommended lever's saving is a fraction of what the pair cost.
Levers that act on the same requests in the same way are alternatives, not additions: response
and prompt caching both live off the same repeats (every 5-minute repeat is also a 1-hour repeat),
and routing and deprecation both replace the model; of each such pair the larger fraction counts.
The remaining groups -- caching, model, batch rates, max_tokens -- are applied one after another,
each to what the previous ones left: ``1 - (1 - f_cache)(1 - f_model)(1 - f_batch)(1 - f_max)``.
This assumes each lever's fraction holds for the residual requests as it did for all of them.
The result never exceeds the pair's cost, so the total never exceeds spend.
"""
from __future__ import annotations

from shared.agents.optimization.common import Context, Outcome
from shared.agents.optimization.levers import ALTERNATIVES


def combined_saving(ctx: Context, outcomes: list[Outcome]) -> float:
    recommended = {o.lever: o.pair_savings for o in outcomes if o.recommendation is not None}
    cost: dict[tuple[str, str], float] = {}
    for cell in ctx.cells():
        cost[cell.pair] = cost.get(cell.pair, 0.0) + cell.m.cost_usd
    total = 0.0
    for pair, paid in cost.items():
        if paid <= 0:
            continue
        kept = 1.0
        for group in ALTERNATIVES:
            fraction = max((min(recommended.get(lever, {}).get(pair, 0.0) / paid, 1.0) for lever in group),
                           default=0.0)
            kept *= 1.0 - fraction
        total += paid * (1.0 - kept)
    return min(total, ctx.spend)
