"""The data agent: where a user's LLM money and tokens went in ``[start, end)``, computed in SQL.

``analyze(user_id, start, end, *, emitter, models=None, features=None) -> DataResult``. Options:
``models`` / ``features`` restrict the analysis to those exact names. Datetimes are UTC (naive
values are read as UTC). Three SQL statements (``shared.agents.data.usage_profile``) produce every figure;
this module only shapes them. On PostgreSQL they run at the same time on separate pooled
connections (``AGENTS_SQL_CONCURRENCY``, see ``shared.agents.data.statements``). It raises ``DatabaseUnavailable`` when the database is down and
``ValidationFailed`` for an empty range.

Result conventions: USD amounts are exact sums in whole nano-dollars, given as JSON numbers
(``shared.db.money``), and shares/rates are rounded to 1e-6; breakdowns are sorted by exact cost
(descending, then name: ``shared.agents.data.measures.ranked``, as the usage summary lists them);
``by_day`` lists the days that have records, ascending; percentiles are nearest-rank over
single-request records, in value bins (exact below 128, at most 1.6% low above: see
``shared.agents.data.sql``); ``repeated_prompt_share`` is the share of records with a
prompt hash that repeat a prompt sent earlier in scope to the same model for the same feature; ``hourly_profile`` counts requests per UTC
hour. The ``profile`` attribute carries the raw aggregates for the optimization agent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.agents.data.measures import Measures, Percentiles, UsageProfile, ranked
from shared.agents.data.sql import Scope
from shared.agents.data.statements import fetch_concurrently
from shared.agents.data.usage_profile import (
    aggregate_rows,
    apply_aggregates,
    apply_distributions,
    apply_repeats,
    distribution_rows,
    replay_rows,
)
from shared.agents.pipeline.agent_run import AgentRun
from shared.agents.pipeline.events import Emitter
from shared.clock import utc_iso
from shared.db.money import to_json
from shared.errors import ValidationFailed
from shared.usage.rollups import refresh_if_dirty

AGENT = "data"


def ratio(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0


@dataclass
class DataResult:
    start: datetime
    end: datetime
    totals: dict[str, Any]
    by_model: list[dict[str, Any]]
    by_provider: list[dict[str, Any]]
    by_feature: list[dict[str, Any]]
    by_day: list[dict[str, Any]]
    token_percentiles: dict[str, dict[str, dict[str, int | None]]]
    latency_ms: dict[str, int | None]
    repeated_prompt_share: float
    hourly_profile: list[int]
    profile: UsageProfile | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "range": {"start": utc_iso(self.start), "end": utc_iso(self.end)},
            "totals": dict(self.totals),
            "by_model": [dict(item) for item in self.by_model],
            "by_provider": [dict(item) for item in self.by_provider],
            "by_feature": [dict(item) for item in self.by_feature],
            "by_day": [dict(item) for item in self.by_day],
            "token_percentiles": {feature: {kind: dict(values) for kind, values in shapes.items()}
                                  for feature, shapes in self.token_percentiles.items()},
            "latency_ms": dict(self.latency_ms),
            "repeated_prompt_share": self.repeated_prompt_share,
            "hourly_profile": list(self.hourly_profile),
        }


def _breakdown(groups: dict, key_names: tuple[str, ...], total_cost: float) -> list[dict[str, Any]]:
    items = []
    for key, m in ranked(groups):
        cost = to_json(m.cost)
        items.append({**dict(zip(key_names, key, strict=True)), "requests": m.requests, "cost_usd": cost,
                      "prompt_tokens": m.prompt_tokens, "completion_tokens": m.completion_tokens,
                      "share": ratio(cost, total_cost)})
    return items


def _shape(p: Percentiles | None) -> dict[str, int | None]:
    if p is None:
        return {"p50": None, "p95": None, "p99": None}
    return {"p50": p.p50, "p95": p.p95, "p99": p.p99}


def build_result(profile: UsageProfile) -> DataResult:
    """The contract's shape from a filled profile (no database access)."""
    t: Measures = profile.totals
    total_cost = to_json(t.cost)
    totals = {"requests": t.requests, "cost_usd": total_cost, "prompt_tokens": t.prompt_tokens,
              "completion_tokens": t.completion_tokens, "cached_tokens": t.cached_tokens,
              "errors": t.errors, "error_rate": ratio(t.errors, t.requests), "unpriced_requests": t.unpriced}
    features = sorted(set(profile.prompt) | set(profile.completion))
    percentiles = {f: {"prompt": _shape(profile.prompt.get(f)), "completion": _shape(profile.completion.get(f))}
                   for f in features}
    latency = {"p50": profile.latency.p50 if profile.latency else None,
               "p95": profile.latency.p95 if profile.latency else None}
    return DataResult(
        start=profile.scope.start, end=profile.scope.end, totals=totals,
        by_model=_breakdown(profile.by_model, ("model", "provider"), total_cost),
        by_provider=_breakdown(profile.by_provider, ("provider",), total_cost),
        by_feature=_breakdown(profile.by_feature, ("feature",), total_cost),
        by_day=[{"day": day, "requests": m.requests, "cost_usd": to_json(m.cost)}
                for day, m in sorted(profile.by_day.items())],
        token_percentiles=percentiles, latency_ms=latency,
        repeated_prompt_share=ratio(t.repeated, t.hashed),
        hourly_profile=[profile.by_hour[h].requests if h in profile.by_hour else 0 for h in range(24)],
        profile=profile,
    )


def load_profile(scope: Scope, run: AgentRun) -> UsageProfile:
    """The three SQL passes (concurrently where the backend allows), each reported as a tool call."""
    profile = UsageProfile(scope)
    refresh_if_dirty(scope.user_id)  # what an import cut short or another writer left to roll up
    with fetch_concurrently(scope, (aggregate_rows, replay_rows, distribution_rows)) as results:
        with run.tool("aggregate_usage", scope.summary()) as summary:
            rows = apply_aggregates(profile, results[0]())
            summary.update(rows=rows, requests=profile.totals.requests, records=profile.totals.records,
                           cost_usd=to_json(profile.totals.cost), cells=len(profile.cells))
        with run.tool("replay_repeats", scope.summary()) as summary:
            cells = apply_repeats(profile, results[1]())
            summary.update(cells=cells, repeated_records=profile.totals.repeated,
                           repeats_within_1h=profile.totals.hits_1h)
        with run.tool("token_distributions", scope.summary()) as summary:
            rows = apply_distributions(profile, results[2]())
            summary.update(rows=rows, features=len(profile.prompt),
                           latency_records=profile.latency.count if profile.latency else 0)
    return profile


def checked_scope(user_id: str, start: datetime, end: datetime, models=None, features=None) -> Scope:
    scope = Scope.build(user_id, start, end, models, features)
    if scope.end <= scope.start:
        raise ValidationFailed({"time_range": "end must be after start"})
    return scope


def describe(scope: Scope) -> str:
    parts = [f"{scope.start.isoformat()} to {scope.end.isoformat()}"]
    if scope.models:
        parts.append("models " + ", ".join(scope.models))
    if scope.features:
        parts.append("features " + ", ".join(scope.features))
    return "; ".join(parts)


def _summary(result: DataResult) -> str:
    t = result.totals
    if not t["requests"]:
        return "No usage records in this range."
    text = f"{t['requests']:,} request{'s' if t['requests'] != 1 else ''} costing ${t['cost_usd']:,.2f}"
    if result.by_model:
        top = result.by_model[0]
        text += f"; top model {top['model']} ({top['share'] * 100:.1f}% of spend)"
    if t["unpriced_requests"]:
        text += f"; {t['unpriced_requests']:,} requests on models without a catalog price"
    return text + "."


def analyze(user_id: str, start: datetime, end: datetime, *, emitter: Emitter,
            models: list[str] | None = None, features: list[str] | None = None) -> DataResult:
    scope = checked_scope(user_id, start, end, models, features)
    with AgentRun(emitter, AGENT) as run:
        run.started(describe(scope))
        run.think(f"Aggregating usage in SQL over {describe(scope)}: totals, breakdowns, "
                  "repeated prompts, then token and latency percentiles.")
        result = build_result(load_profile(scope, run))
        run.completed(_summary(result), result.to_dict())
        return result
