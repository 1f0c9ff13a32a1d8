"""A user's usage totals and breakdowns, computed in SQL with GROUP BY.

``summarize(conn, user_id, start, end)`` returns ``{range, totals, by_model,
by_provider, by_feature, by_day}`` for records with ``start <= timestamp <
end`` (either bound may be None: open). Requests are ``SUM(request_count)``
(an aggregated export row stands for several requests); costs sum only priced
records and ``unpriced_requests`` says how many had no price. Breakdowns are
sorted by cost (descending, then name); days ascend as ``YYYY-MM-DD`` (UTC).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Connection

from shared.clock import utc_iso
from shared.db.schema import usage_records as t

_MEASURES = {
    "requests": func.coalesce(func.sum(t.c.request_count), 0),
    "records": func.count(),
    "cost_usd": func.coalesce(func.sum(t.c.cost_usd), 0.0),
    "prompt_tokens": func.coalesce(func.sum(t.c.prompt_tokens), 0),
    "completion_tokens": func.coalesce(func.sum(t.c.completion_tokens), 0),
    "cached_tokens": func.coalesce(func.sum(t.c.cached_tokens), 0),
    "errors": func.coalesce(func.sum(case((t.c.status != "success", t.c.request_count), else_=0)), 0),
    "unpriced_requests": func.coalesce(
        func.sum(case((t.c.cost_source == "unpriced", t.c.request_count), else_=0)), 0),
}


def _row(keys: tuple[str, ...], values: Any) -> dict[str, Any]:
    item = dict(zip(keys + tuple(_MEASURES), values))
    for name in ("requests", "records", "prompt_tokens", "completion_tokens", "cached_tokens", "errors",
                 "unpriced_requests"):
        item[name] = int(item[name])
    item["cost_usd"] = float(item["cost_usd"])
    return item


def _grouped(conn: Connection, where, *columns) -> list[dict[str, Any]]:
    keys = tuple(column.name for column in columns)
    query = select(*columns, *_MEASURES.values()).where(where).group_by(*columns)
    return [_row(keys, values) for values in conn.execute(query)]


def _by_cost(items: list[dict[str, Any]], *names: str) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: (-item["cost_usd"], *(str(item[n]) for n in names)))


def summarize(conn: Connection, user_id: str, start: datetime | None = None,
              end: datetime | None = None) -> dict[str, Any]:
    where = [t.c.user_id == user_id]
    if start is not None:
        where.append(t.c.timestamp >= start)
    if end is not None:
        where.append(t.c.timestamp < end)
    where = and_(*where)
    totals = _row((), conn.execute(select(*_MEASURES.values()).where(where)).one())
    day = func.date(t.c.timestamp).label("day")
    by_day = []
    for item in _grouped(conn, where, day):
        value = item["day"]
        item["day"] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        by_day.append(item)
    return {
        "range": {"start": utc_iso(start), "end": utc_iso(end)},
        "totals": totals,
        "by_model": _by_cost(_grouped(conn, where, t.c.model, t.c.provider), "model", "provider"),
        "by_provider": _by_cost(_grouped(conn, where, t.c.provider), "provider"),
        "by_feature": _by_cost(_grouped(conn, where, t.c.feature), "feature"),
        "by_day": sorted(by_day, key=lambda item: item["day"]),
    }
