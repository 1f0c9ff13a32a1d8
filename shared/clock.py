"""Time in one place: now, client timestamps, naive UTC and ISO text.

The database stores naive UTC; answers always name the offset (``+00:00``).

The rule for a timestamp a client sends (an agent's ``context``, the usage summary's bounds):
an ISO 8601 date (``2026-10-01``, midnight UTC) or datetime; a datetime without an offset is UTC,
one with an explicit offset (``Z``, ``+02:00``) is converted to UTC. A moment that cannot be
represented in UTC (``0001-01-01T00:00:00+01:00``) is refused, like any other malformed value.

The moments a client gives the agents (``now``, a range's bounds) lie from ``EARLIEST`` (1900-01-01)
to ``LATEST`` (9000-01-01): far wider than any usage, and far enough inside the calendar (years 1 to
9999) that every period counted from them ("this year", the 30 days before, whole days) can be
computed. Outside, they are refused with ``OUT_OF_RANGE`` as the reason.
"""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

DATE_CHARS = len("2026-10-01")
EARLIEST = datetime(1900, 1, 1)
LATEST = datetime(9000, 1, 1)
OUT_OF_RANGE = f"is out of range: dates are read from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"


def utcnow() -> datetime:
    """Now as naive UTC, the database's form."""
    return datetime.now(UTC).replace(tzinfo=None)


def aware_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; a naive one is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def naive_utc(moment: datetime) -> datetime:
    """A naive UTC datetime; a naive one is taken to be UTC already."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def within_range(moment: datetime) -> bool:
    """Whether ``moment`` (naive or aware UTC) lies between ``EARLIEST`` and ``LATEST``."""
    return EARLIEST <= naive_utc(moment) <= LATEST


def utc_iso(moment: datetime | None) -> str | None:
    """ISO 8601 with an explicit ``+00:00``."""
    return None if moment is None else aware_utc(moment).isoformat()


def utc_now_iso() -> str:
    """Now, to the millisecond, for event and frame timestamps."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def parse_client_time(value: Any) -> datetime:
    """A client's timestamp as naive UTC, by the rule above; ``ValueError`` with a readable reason."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO 8601 date or datetime string")
    text = value.strip()
    if len(text) == DATE_CHARS:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError("is not a valid ISO 8601 date (YYYY-MM-DD)") from None
        return datetime(day.year, day.month, day.day)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a valid ISO 8601 datetime") from None
    try:
        return naive_utc(moment)
    except OverflowError:
        raise ValueError("is out of the representable range in UTC") from None
