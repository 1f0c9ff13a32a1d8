"""Lever ``model_routing``: the same requests on a cheaper model of the same capability tier.

For each (feature, model) cell whose model the tier table places (``tiers.py``), candidates are
the tier's catalog models that have no announced deprecation date and whose context window and
output limit hold the cell's largest prompt and completion. Candidates are tried in order of
confidence and the first group with a saving of at least ``MIN_SAVING_SHARE`` of the cell's cost
wins, cheapest first:

1. same provider, same tier (confidence 0.8);
2. another provider, same tier (0.6: prompts and output style differ across vendors);
3. one tier down, only for features whose shape suits a smaller model -- short outputs
   (completion p95 <= ``SHORT_OUTPUT_TOKENS``) from moderate prompts (prompt p95 <=
   ``MODERATE_PROMPT_TOKENS``), the shape of classification and extraction (0.4).

The counterfactual prices the cell's own token counts (prompt, completion, cached, cache-write) at
the target's catalog rates, batch rates for batch cells.
"""
from __future__ import annotations

from shared.agents.optimization import levers, tiers
from shared.agents.optimization.common import (
    Cell,
    Context,
    Outcome,
    Recommendation,
    list_price,
    money,
    repriced,
    weighted_confidence,
)
from shared.pricing import ModelPrice

LEVER = levers.MODEL_ROUTING
MIN_SAVING_SHARE = 0.10
SHORT_OUTPUT_TOKENS = 256
MODERATE_PROMPT_TOKENS = 8000
CONFIDENCE = {"same_provider": 0.8, "cross_provider": 0.6, "lower_tier": 0.4}


def _fits(target: ModelPrice, cell: Cell) -> bool:
    if target.max_input_tokens and cell.m.max_prompt and cell.m.max_prompt > target.max_input_tokens:
        return False
    if target.max_output_tokens and cell.m.max_completion and cell.m.max_completion > target.max_output_tokens:
        return False
    return True


def _shape_suits_smaller(ctx: Context, feature: str) -> bool:
    prompt, completion = ctx.profile.prompt.get(feature), ctx.profile.completion.get(feature)
    if prompt is None or completion is None or prompt.p95 is None or completion.p95 is None:
        return False
    return completion.p95 <= SHORT_OUTPUT_TOKENS and prompt.p95 <= MODERATE_PROMPT_TOKENS


def _candidates(ctx: Context, cell: Cell, source: ModelPrice, tier: str) -> list[tuple[str, list[ModelPrice]]]:
    def usable(names) -> list[ModelPrice]:
        found = []
        for name in names:
            target = ctx.catalog.models.get(name)
            if target is None or target.model == source.model or target.deprecation_date is not None:
                continue
            if _fits(target, cell):
                found.append(target)
        return found

    same_tier = usable(tiers.members(tier))
    groups = [("same_provider", [t for t in same_tier if t.provider == source.provider]),
              ("cross_provider", [t for t in same_tier if t.provider != source.provider])]
    lower = tiers.lower_tier(tier)
    if lower and _shape_suits_smaller(ctx, cell.feature):
        groups.append(("lower_tier", usable(tiers.members(lower))))
    return groups


def _best_move(ctx: Context, cell: Cell, source: ModelPrice, tier: str):
    base = list_price(source, cell.m, cell.batch)
    for relation, targets in _candidates(ctx, cell, source, tier):
        priced = sorted(((list_price(t, cell.m, cell.batch), t.model, t) for t in targets), key=lambda x: x[:2])
        if not priced:
            continue
        counterfactual, _, target = priced[0]
        saving = repriced(cell.m.cost_usd, base, counterfactual)
        if saving >= MIN_SAVING_SHARE * cell.m.cost_usd and saving > 0:
            return relation, target, saving
    return None


def evaluate(ctx: Context) -> Outcome:
    outcome = Outcome(LEVER)
    moves, untiered = [], set()
    for cell in ctx.cells():
        source = ctx.price(cell)
        if source is None or cell.m.cost_usd <= 0:
            continue
        tier = tiers.tier_of(source.model)
        if tier is None:
            untiered.add(source.model)
            continue
        move = _best_move(ctx, cell, source, tier)
        if move is None:
            continue
        relation, target, saving = move
        outcome.add_saving(cell, saving)
        moves.append({"feature": cell.feature, "from_model": cell.model, "to_model": target.model,
                      "relation": relation, "tier": tier, "batch": cell.batch, "records": cell.m.records,
                      "saving_usd": saving, "cost_usd": cell.m.cost_usd, "cell": cell})
    if not moves:
        reason = "No feature has a cheaper model of the same capability tier that fits its prompts and outputs"
        if untiered:
            reason += f"; the tier table does not place {', '.join(sorted(untiered))}"
        return outcome.skip(reason + ".")
    moves.sort(key=lambda move: (-move["saving_usd"], move["feature"], move["from_model"]))
    saving = sum(move["saving_usd"] for move in moves)
    outcome.sample_cells = [move["cell"] for move in moves]
    listed = "; ".join(f"{m['feature']}: {m['from_model']} → {m['to_model']} ({m['relation'].replace('_', ' ')}, "
                       f"{money(ctx.monthly(m['saving_usd']))}/month)" for m in moves[:6])
    title = (f"Route {moves[0]['feature']} from {moves[0]['from_model']} to {moves[0]['to_model']}"
             if len(moves) == 1 else f"Route {len(moves)} feature/model pairs to cheaper models of their tier")
    outcome.recommendation = Recommendation(
        lever=LEVER, title=title, saving=saving,
        confidence=weighted_confidence([(m["saving_usd"], CONFIDENCE[m["relation"]]) for m in moves]),
        method=("Re-priced each feature's own prompt, completion, cached and cache-write tokens at the target "
                f"model's catalog rates and applied the difference to what was paid. Moves: {listed}."),
        assumptions=[
            "Models in the same tier of the tier table (docs/model_tiers.md) handle these requests equally well.",
            "Targets have no announced deprecation and their context window holds the largest prompt seen.",
            f"A move must save at least {MIN_SAVING_SHARE:.0%} of the pair's cost to be worth a change.",
            "Cross-tier moves only for short outputs from moderate prompts (classification-like features).",
        ],
        records=sum(m["records"] for m in moves), sample_request_ids=[],
        risk="Output quality and style can change with the model: evaluate the target on a sample of real "
             "requests before switching, especially for cross-provider and cross-tier moves.",
        details=[{k: (round(v, 9) if isinstance(v, float) else v) for k, v in move.items() if k != "cell"}
                 for move in moves],
    )
    return outcome
