"""How much of a user's usage a range holds, judged cheaply enough to run before every answer.

``look_up(user_id, start, end, now)`` runs one transaction with two index-backed queries:

- the records in [start, end), counted up to ``SUFFICIENT_RECORDS`` (counting stops there), with
  the first and last timestamps (MIN/MAX on the ``(user_id, timestamp)`` index);
- the user's distinct feature tags, at most ``MAX_TAGS``, read by a loose index scan (a recursive
  query that jumps from one tag to the next on the ``(user_id, feature, ...)`` index instead of
  reading every row).

``judge(records, days_covered, range_days)`` says ``none`` (no records), ``partial`` (fewer than
``SUFFICIENT_RECORDS`` records, or records spanning under ``MIN_COVERAGE`` of the range's days,
first to last record) or ``sufficient``. Range days count only up to ``now``: days that have not
happened cannot hold records. Raises ``DatabaseUnavailable`` when the database cannot be reached.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, literal, select, text

from shared.clock import naive_utc
from shared.db import transaction
from shared.db.schema import usage_records

SUFFICIENT_RECORDS = 100
MIN_COVERAGE = 0.5
MAX_TAGS = 200

_TAGS = text("""
WITH RECURSIVE tags(feature) AS (
    SELECT MIN(feature) FROM usage_records WHERE user_id = :user_id
    UNION ALL
    SELECT (SELECT MIN(u.feature) FROM usage_records u WHERE u.user_id = :user_id AND u.feature > tags.feature)
    FROM tags WHERE tags.feature IS NOT NULL
)
SELECT feature FROM tags WHERE feature IS NOT NULL LIMIT :max_tags
""")


@dataclass(frozen=True)
class Coverage:
    records: int              # capped at SUFFICIENT_RECORDS
    capped: bool              # True when there are at least that many
    first: datetime | None    # naive UTC, as stored
    last: datetime | None
    days_covered: int         # calendar days from the first to the last record, inclusive
    range_days: int           # days of the range up to now (at least 1)
    feature_tags: tuple[str, ...]

    def summary(self) -> dict:
        return {"records": self.records, "at_least": self.capped, "days_covered": self.days_covered,
                "range_days": self.range_days, "feature_tags": len(self.feature_tags),
                "first": self.first.isoformat() if self.first else None,
                "last": self.last.isoformat() if self.last else None}


def range_days(start: datetime, end: datetime, now: datetime) -> int:
    span = min(naive_utc(end), naive_utc(now)) - naive_utc(start)
    return max(1, math.ceil(span / timedelta(days=1)))


def look_up(user_id: str, start: datetime, end: datetime, now: datetime) -> Coverage:
    start, end = naive_utc(start), naive_utc(end)
    in_range = and_(usage_records.c.user_id == user_id, usage_records.c.timestamp >= start,
                    usage_records.c.timestamp < end)
    capped = select(literal(1).label("one")).where(in_range).limit(SUFFICIENT_RECORDS).subquery()
    query = select(
        select(func.count()).select_from(capped).scalar_subquery(),
        select(func.min(usage_records.c.timestamp)).where(in_range).scalar_subquery(),
        select(func.max(usage_records.c.timestamp)).where(in_range).scalar_subquery(),
    )
    with transaction() as conn:
        records, first, last = conn.execute(query).one()
        tags = tuple(row[0] for row in conn.execute(_TAGS, {"user_id": user_id, "max_tags": MAX_TAGS}))
    days = range_days(start, end, now)
    covered = min(days, (last.date() - first.date()).days + 1) if first and last else 0
    return Coverage(int(records), int(records) >= SUFFICIENT_RECORDS, first, last, covered, days, tags)


def judge(coverage: Coverage) -> tuple[str, str]:
    """The verdict and the reason for it."""
    if coverage.records == 0:
        return "none", "no usage records in the range"
    if not coverage.capped:
        return "partial", f"{coverage.records} records in the range (fewer than {SUFFICIENT_RECORDS})"
    share = coverage.days_covered / coverage.range_days
    if share < MIN_COVERAGE:
        return "partial", (f"records span {coverage.days_covered} of the range's {coverage.range_days} days "
                           f"(under {MIN_COVERAGE:.0%})")
    return "sufficient", (f"at least {SUFFICIENT_RECORDS} records spanning {coverage.days_covered} of "
                          f"{coverage.range_days} days")
