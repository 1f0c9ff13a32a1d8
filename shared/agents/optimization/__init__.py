"""The optimization agent: what the user's own records would have cost under each lever.

``optimize(user_id, start, end, *, emitter, data=None, levers=None) -> OptimizationResult``.
Options: ``data`` -- a ``DataResult`` of the same user and range whose aggregates are reused
instead of reading the records again; ``levers`` -- a subset of ``LEVERS`` (unknown ids are a 422).
Every lever replays the aggregates of ``shared.agents.data.usage_profile`` and prices the
counterfactual with the catalog (``shared.pricing``); one module per lever documents its method:
``routing``, ``caching`` (response and prompt), ``batch``, ``max_tokens``, ``deprecation``.

Result: recommendations in lever order, only levers with evidence and a saving of at least
$0.000001 a month (a smaller one is listed under not_recommended: it would show as $0.00);
``monthly_savings_usd`` = saving over the range x 30 / days in the range; ``savings_pct`` is of
the range's spend; ``not_recommended`` lists levers that found nothing, would lose money or raise
cost, with the reason (and details); ``total_monthly_savings_usd`` combines the recommended
levers without double counting (``combine``) and never exceeds spend. Raises
``DatabaseUnavailable`` when the database is down.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, bindparam, text

from shared.agents.data.agent import checked_scope, describe, load_profile
from shared.agents.data.sql import Scope
from shared.agents.optimization import batch, caching, deprecation, max_tokens, routing
from shared.agents.optimization import levers as levers_
from shared.agents.optimization.combine import combined_saving
from shared.agents.optimization.common import Cell, Context, Outcome, Recommendation
from shared.agents.optimization.levers import LEVERS
from shared.agents.pipeline.agent_run import AgentRun
from shared.agents.pipeline.events import Emitter
from shared.clock import utc_iso
from shared.db import transaction
from shared.errors import ValidationFailed
from shared.pricing import catalog

AGENT = "optimization"
EVALUATORS: dict[str, Callable[[Context], Outcome]] = {
    levers_.MODEL_ROUTING: routing.evaluate,
    levers_.RESPONSE_CACHING: caching.evaluate_response,
    levers_.PROMPT_CACHING: caching.evaluate_prompt,
    levers_.BATCH: batch.evaluate,
    levers_.MAX_TOKENS: max_tokens.evaluate,
    levers_.MODEL_DEPRECATION: deprecation.evaluate,
}
SAMPLE_LIMIT = 5


@dataclass
class OptimizationResult:
    start: datetime
    end: datetime
    spend_usd: float
    days: float
    recommendations: list[dict[str, Any]]
    not_recommended: list[dict[str, Any]]
    total_monthly_savings_usd: float

    def to_dict(self) -> dict[str, Any]:
        return {"range": {"start": utc_iso(self.start), "end": utc_iso(self.end)},
                "spend_usd": self.spend_usd, "days": self.days,
                "recommendations": [dict(r) for r in self.recommendations],
                "not_recommended": [dict(n) for n in self.not_recommended],
                "total_monthly_savings_usd": self.total_monthly_savings_usd}


def _levers(levers: list[str] | None) -> list[str]:
    if levers is None:
        return list(LEVERS)
    unknown = [lever for lever in levers if lever not in LEVERS]
    if unknown:
        raise ValidationFailed({"levers": f"unknown lever(s) {', '.join(map(str, unknown))}; "
                                          f"use {', '.join(LEVERS)}"})
    return [lever for lever in LEVERS if lever in levers]


def _sample_ids(scope: Scope, cell: Cell, lever: str, profile) -> list[str]:
    """A few request ids from the lever's largest cell, earliest first."""
    extra = "feature = :s_feature AND model = :s_model AND provider = :s_provider AND is_batch = :s_batch"
    params = {**scope.params(), "s_feature": cell.feature, "s_model": cell.model, "s_provider": cell.provider,
              "s_batch": cell.batch}
    runaway = profile.runaway.get((cell.feature, cell.model))
    if lever == levers_.MAX_TOKENS and runaway is not None:
        extra += " AND request_count = 1 AND completion_tokens > :s_cap"
        params["s_cap"] = runaway.cap
    sql = (f'SELECT request_id FROM usage_records WHERE {scope.where(extra)} '
           f'ORDER BY "timestamp", request_id LIMIT {SAMPLE_LIMIT}')
    statement = scope.bind(text(sql)).bindparams(bindparam("s_batch", type_=Boolean()))
    with transaction() as conn:
        return [row[0] for row in conn.execute(statement, params)]


def _monthly_usd(ctx: Context, rec: Recommendation) -> float:
    """The monthly saving as presented: never above spend, in micro-dollars."""
    return round(ctx.monthly(min(rec.saving, ctx.spend)), 6)


def _withdraw_if_worthless(ctx: Context, outcome: Outcome) -> None:
    """A recommendation whose saving shows as $0 is no recommendation; the total leaves it out too."""
    rec = outcome.recommendation
    if rec is not None and _monthly_usd(ctx, rec) <= 0:
        outcome.recommendation = None
        outcome.skip(f"{rec.title}: the saving found comes to less than $0.000001 a month, so there is "
                     "nothing to change.")


def _as_dict(ctx: Context, rec: Recommendation) -> dict[str, Any]:
    saving = min(rec.saving, ctx.spend)
    return {"id": rec.lever, "lever": rec.lever, "title": rec.title,
            "monthly_savings_usd": _monthly_usd(ctx, rec),
            "savings_pct": round(saving / ctx.spend * 100.0, 4) if ctx.spend > 0 else 0.0,
            "confidence": rec.confidence, "method": rec.method, "assumptions": list(rec.assumptions),
            "evidence": {"records": rec.records, "sample_request_ids": list(rec.sample_request_ids)},
            "risk": rec.risk, "details": rec.details}


def _reuse(data, scope: Scope):
    profile = getattr(data, "profile", None)
    if profile is None or profile.scope.user_id != scope.user_id:
        return None
    if (profile.scope.start, profile.scope.end) != (scope.start, scope.end):
        return None
    return profile


def optimize(user_id: str, start: datetime, end: datetime, *, emitter: Emitter,
             data=None, levers: list[str] | None = None) -> OptimizationResult:
    scope = checked_scope(user_id, start, end)
    chosen = _levers(levers)
    with AgentRun(emitter, AGENT) as run:
        run.started(f"{describe(scope)}; levers {', '.join(chosen)}")
        profile = _reuse(data, scope)
        if profile is None:
            run.think("Reading the records' aggregates for the range.")
            profile = load_profile(scope, run)
        else:
            run.think("Reusing the data agent's aggregates for the same range.")
        ctx = Context(profile, catalog(), scope.days, profile.totals.cost_usd, scope.end.date())
        outcomes = []
        for lever in chosen:
            with run.tool(lever, {"start": scope.start.isoformat(), "end": scope.end.isoformat()}) as summary:
                outcome = EVALUATORS[lever](ctx)
                _withdraw_if_worthless(ctx, outcome)
                rec = outcome.recommendation
                if rec is not None and not rec.sample_request_ids and outcome.sample_cells:
                    rec.sample_request_ids = _sample_ids(profile.scope, outcome.sample_cells[0], lever, profile)
                summary.update(recommended=rec is not None,
                               monthly_savings_usd=_monthly_usd(ctx, rec) if rec else 0.0,
                               not_recommended=len(outcome.not_recommended))
            outcomes.append(outcome)
        total = combined_saving(ctx, outcomes)
        result = OptimizationResult(
            start=scope.start, end=scope.end, spend_usd=round(ctx.spend, 9), days=round(scope.days, 6),
            recommendations=[_as_dict(ctx, o.recommendation) for o in outcomes if o.recommendation is not None],
            not_recommended=[note for o in outcomes for note in o.not_recommended],
            total_monthly_savings_usd=round(ctx.monthly(total), 6))
        count = len(result.recommendations)
        run.completed(f"{count} recommendation{'s' if count != 1 else ''}, about "
                      f"${result.total_monthly_savings_usd:,.2f} a month combined.", result.to_dict())
        return result
