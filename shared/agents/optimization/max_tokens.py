"""Lever ``max_tokens``: right-size each feature's output cap from its own output lengths.

A finding is a feature whose configured ``max_tokens`` (the smallest value its records carry) is
at least ``HEADROOM`` times the p99 of its completion tokens. The proposed cap is p99 x 1.5
rounded up to 64 tokens (``usage_profile.CAP_*``).

``max_tokens`` does not change what a request is billed: providers charge the tokens actually
generated. A lower cap saves money only on runaway outputs -- completions longer than the cap,
which it would have cut short. So the saving counted is exactly those outputs' tokens above the
cap, at each model's output rate (scaled to what was paid). When no output in the range exceeded
the cap, the finding is reported under not_recommended with a saving of 0: it bounds the
worst case but changes nothing billed.
"""
from __future__ import annotations

from typing import Any

from shared.agents.data.usage_profile import CAP_DEN, CAP_NUM, CAP_STEP
from shared.agents.optimization import levers
from shared.agents.optimization.common import Cell, Context, Outcome, Recommendation, list_price, money

LEVER = levers.MAX_TOKENS
HEADROOM = 4


def proposed_cap(p99: int) -> int:
    """p99 x 1.5 rounded up to a multiple of 64, as the SQL computes it."""
    scaled = (p99 * CAP_NUM + CAP_DEN - 1) // CAP_DEN
    return (scaled + CAP_STEP - 1) // CAP_STEP * CAP_STEP


def _runaway_savings(ctx: Context, feature: str) -> list[tuple[Cell, float, int, int]]:
    """Per model of ``feature``: (cell, USD saved, records cut, tokens cut) for outputs above the cap.

    The histogram is per (feature, model); its dollars are priced on that pair's largest
    non-batch cell (a model served by two providers is rare).
    """
    cells: dict[str, Cell] = {}
    for cell in ctx.cells():
        if cell.feature == feature and not cell.batch and cell.m.cost_usd > 0:
            if cell.model not in cells or cell.m.cost_usd > cells[cell.model].m.cost_usd:
                cells[cell.model] = cell
    found = []
    for model, cell in sorted(cells.items()):
        runaway, price = ctx.profile.runaway.get((feature, model)), ctx.price(cell)
        if runaway is None or price is None:
            continue
        base = list_price(price, cell.m, False)
        if base <= 0:
            continue
        share = min(runaway.excess_tokens * price.output / base, 1.0)
        found.append((cell, cell.m.cost_usd * share, runaway.records, runaway.excess_tokens))
    return found


def evaluate(ctx: Context) -> Outcome:
    outcome = Outcome(LEVER)
    findings = []
    for feature, measures in sorted(ctx.profile.by_feature.items()):
        completion = ctx.profile.completion.get(feature)
        configured = measures.max_tokens_min
        if configured is None or completion is None or completion.p99 is None:
            continue
        cap = proposed_cap(completion.p99)
        if configured < HEADROOM * max(completion.p99, 1) or cap >= configured:
            continue
        savings = _runaway_savings(ctx, feature)
        saving = sum(part[1] for part in savings)
        records, tokens = sum(part[2] for part in savings), sum(part[3] for part in savings)
        finding: dict[str, Any] = {
            "feature": feature, "configured_max_tokens": configured, "p99_completion": completion.p99,
            "max_completion": measures.max_completion, "proposed_max_tokens": cap,
            "outputs_at_configured_limit": measures.truncated,
            "runaway_records": records, "runaway_tokens": tokens, "saving_usd": round(saving, 9)}
        findings.append((feature, saving, finding, savings))
        if saving <= 0:
            outcome.skip(
                f"max_tokens is {configured:,} for {feature} but its outputs stay far below it (p99 "
                f"{completion.p99:,}, longest {measures.max_completion:,} tokens): a cap of {cap:,} would bound "
                "runaway outputs, yet none in this range ran past it, so nothing billed would change.",
                **finding)
    if not findings:
        return outcome.skip("No feature sets max_tokens far above what it generates "
                            f"(at least {HEADROOM}x its p99 output), or the records carry no max_tokens.")
    paying = [(f, s, d) for f, s, d, _ in findings if s > 0]
    if not paying:
        return outcome
    for _, _, _, savings in findings:
        for cell, cell_saving, _, _ in savings:
            if cell_saving > 0:
                outcome.add_saving(cell, cell_saving)
                outcome.sample_cells.append(cell)
    total = sum(s for _, s, _ in paying)
    cut = sum(d["runaway_records"] for _, _, d in paying)
    listed = "; ".join(f"{d['feature']}: {d['configured_max_tokens']:,} → {d['proposed_max_tokens']:,} "
                       f"({money(ctx.monthly(s))}/month)" for _, s, d in paying)
    outcome.recommendation = Recommendation(
        lever=LEVER, title="Lower max_tokens to fit what each feature actually generates", saving=total,
        confidence=0.5,
        method=("Proposed cap = p99 of the feature's completion tokens x 1.5, rounded up to 64; the saving is "
                f"the output tokens of runaway completions above that cap at the model's output rate. {listed}."),
        assumptions=["The tokens above the cap were not needed: those outputs would have been cut short.",
                     "Outputs under the cap are billed the same whatever max_tokens is."],
        records=cut, sample_request_ids=[],
        risk=f"{cut:,} outputs in the range were longer than the proposed caps and would have been truncated.",
        details=[d for _, _, d in paying],
    )
    return outcome

