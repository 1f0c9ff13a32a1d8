"""Periods that would leave the calendar are named, never an overflow; periods inside it still read."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.agents.triage.timerange import OutOfRange, parse_time_range

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("text, phrase", [
    ("spend in the last 1000000 days", "last 1000000 days"),
    ("the past 3000 years", "past 3000 years"),
    ("last 800000 weeks vs last month", "last 800000 weeks"),
    ("previous 100000000000000000000 hours", "previous 100000000000000000000 hours"),
    ("trailing 30000 months", "trailing 30000 months"),
])
def test_a_period_leaving_the_calendar_is_named(text, phrase):
    with pytest.raises(OutOfRange) as caught:
        parse_time_range(text, NOW)
    assert caught.value.phrase == phrase
    assert caught.value.reason == f'names a period out of range ("{phrase}"): it would leave the calendar (years 1 to 9999)'


def test_the_longest_period_inside_the_calendar_still_reads():
    found = parse_time_range("the last 2025 years", NOW)
    assert (found.start, found.end) == (datetime(1, 11, 1, 12, tzinfo=UTC), NOW)
    with pytest.raises(OutOfRange):
        parse_time_range("the last 2026 years", NOW)
