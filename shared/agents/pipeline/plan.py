"""Which agents and levers a question needs, and the range it is about, decided from triage's result.

- ``levers_for(category)``: the optimization levers a category asks about (None = every lever):
  caching → response and prompt caching; batching → batch; model_selection → routing and
  deprecation; anything else → all of them.
- ``analysis_range(triage, request_range)``: the [start, end) to analyse as naive UTC datetimes:
  a validated ``context.time_range`` wins, then triage's parsed or default range, then the
  30 days ending now.

The supervisor and the single-agent functions share these, so a question gets the same figures
whichever endpoint answers it.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.agents.optimization.levers import CATEGORY_LEVERS
from shared.clock import naive_utc, utcnow

DIRECT_CATEGORIES = ("help", "out_of_scope")
DEFAULT_RANGE_DAYS = 30


def levers_for(category: str | None) -> list[str] | None:
    levers = CATEGORY_LEVERS.get(category or "")
    return list(levers) if levers else None


def _naive_utc(value: Any) -> datetime | None:
    """Triage's ISO range bounds (which it always writes with their offset) as naive UTC."""
    if isinstance(value, datetime):
        return naive_utc(value)
    if isinstance(value, str) and value:
        try:
            return naive_utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def analysis_range(triage: dict[str, Any], request_range: tuple[datetime, datetime] | None = None,
                   now: datetime | None = None) -> tuple[datetime, datetime]:
    if request_range:
        return request_range
    parsed = (triage.get("entities") or {}).get("time_range") or {}
    start, end = _naive_utc(parsed.get("start")), _naive_utc(parsed.get("end"))
    if start and end and start < end:
        return start, end
    end = _naive_utc(now) or utcnow()
    return end - timedelta(days=DEFAULT_RANGE_DAYS), end
