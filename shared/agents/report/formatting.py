"""How the report writes figures: dollars, percentages, counts, ranges and markdown tables.

One place so that every answer, and the tests that compare answers with the computation,
format a figure the same way: ``usd(12.3456) == "$12.35"``; amounts under a cent keep four
significant digits (``"$0.004213"``) rather than rounding to ``$0.00``.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any


def usd(amount: float | None) -> str:
    if amount is None:
        return "n/a"
    value = float(amount)
    if value != 0 and abs(value) < 0.01:
        return f"${value:.4g}" if abs(value) >= 1e-4 else f"${value:.2e}"
    return f"-${abs(value):,.2f}" if value < 0 else f"${value:,.2f}"


def pct(value: float | None, digits: int = 1) -> str:
    """``value`` is already a percentage (0..100)."""
    return "n/a" if value is None else f"{float(value):.{digits}f}%"


def share_pct(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return float(part) / float(whole) * 100.0


def count(value: Any) -> str:
    return "n/a" if value is None else f"{int(value):,}"


def ms(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):,.0f} ms"


def confidence(value: Any) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{float(value) * 100:.0f}%" if value <= 1 else f"{float(value):.0f}%"
    return str(value)


def parse_iso(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def _moment(value: datetime) -> str:
    if value.hour == value.minute == value.second == value.microsecond == 0:
        return value.date().isoformat()
    return value.strftime("%Y-%m-%d %H:%M UTC")


def range_days(time_range: dict | None) -> float | None:
    start, end = parse_iso((time_range or {}).get("start")), parse_iso((time_range or {}).get("end"))
    if not start or not end:
        return None
    return (end - start) / timedelta(days=1)


def range_text(time_range: dict | None) -> str:
    """``2026-10-01 to 2026-10-31 (30 days, end exclusive)``."""
    start, end = parse_iso((time_range or {}).get("start")), parse_iso((time_range or {}).get("end"))
    if not start or not end:
        return "an unknown range"
    days = (end - start) / timedelta(days=1)
    # One decimal is what a reader can use; "28.6949 days" is noise.
    length = f"{round(days, 1):g} day{'s' if days != 1 else ''}" if days >= 1 else f"{round(days * 24, 1):g} hours"
    return f"{_moment(start)} to {_moment(end)} ({length}, end exclusive)"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    def cell(value: Any) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines
