"""A user's usage totals and breakdowns: the data agent's figures, for any range.

``summarize(conn, user_id, start, end)`` returns ``{range, totals, by_model, by_provider,
by_feature, by_day}`` for records with ``start <= timestamp < end`` (either bound may be None:
open). The figures come from the data agent's own aggregate (``aggregate_rows`` in
``shared.agents.data.usage_profile``, over the rollups, refreshed first in the caller's
transaction when a day is marked dirty) and are listed in its order (``ranked``), so the summary
and the agent cannot disagree. Each item has ``requests`` (``SUM(request_count)``: an aggregated
export row stands for several requests), ``records``, ``cost_usd`` (the exact sum of the priced
records, ``shared.db.money``), prompt, completion and cached tokens, ``errors`` and
``unpriced_requests`` (requests without a price). Breakdowns are sorted by cost (descending, then
name); days ascend as ``YYYY-MM-DD`` (UTC).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from shared.agents.data.measures import Measures, UsageProfile, ranked
from shared.agents.data.sql import Scope
from shared.clock import utc_iso
from shared.db.money import to_json
from shared.usage.rollups import refresh_marked

# An open bound reads every record: these hold any timestamp both backends store.
OPEN_START, OPEN_END = datetime(1, 1, 1), datetime(9999, 12, 31)


def _figures(m: Measures) -> dict[str, Any]:
    return {"requests": m.requests, "records": m.records, "cost_usd": to_json(m.cost),
            "prompt_tokens": m.prompt_tokens, "completion_tokens": m.completion_tokens,
            "cached_tokens": m.cached_tokens, "errors": m.errors, "unpriced_requests": m.unpriced}


def _breakdown(groups: dict, *names: str) -> list[dict[str, Any]]:
    return [{**dict(zip(names, key, strict=True)), **_figures(m)} for key, m in ranked(groups)]


def summarize(conn: Connection, user_id: str, start: datetime | None = None,
              end: datetime | None = None) -> dict[str, Any]:
    # Imported here: the statements import ``shared.usage.rollups``, so importing them with this
    # package would be circular.
    from shared.agents.data.usage_profile import aggregate_rows, apply_aggregates
    scope = Scope.build(user_id, OPEN_START if start is None else start, OPEN_END if end is None else end)
    refresh_marked(conn, user_id)
    profile = UsageProfile(scope)
    apply_aggregates(profile, aggregate_rows(conn, scope))
    return {
        "range": {"start": utc_iso(start), "end": utc_iso(end)},
        "totals": _figures(profile.totals),
        "by_model": _breakdown(profile.by_model, "model", "provider"),
        "by_provider": _breakdown(profile.by_provider, "provider"),
        "by_feature": _breakdown(profile.by_feature, "feature"),
        "by_day": [{"day": day, **_figures(m)} for day, m in sorted(profile.by_day.items())],
    }
