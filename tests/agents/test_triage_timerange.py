"""The time-phrase parser with fixed clocks: exact [start, end) for each phrase, across month, year and leap days."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.agents.triage.timerange import add_months, default_range, parse_time_range

UTC = UTC
TUESDAY = datetime(2026, 10, 20, 14, 30, tzinfo=UTC)       # mid-month, mid-week
NEW_YEAR = datetime(2026, 1, 3, 10, 0, tzinfo=UTC)         # a Saturday, three days into a year
LEAP_MONTH_END = datetime(2024, 3, 31, 12, 0, tzinfo=UTC)  # after a 29-day February


def d(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def span(phrase: str, now: datetime) -> tuple[datetime, datetime]:
    found = parse_time_range(phrase, now)
    assert found is not None, phrase
    return found.start, found.end


@pytest.mark.parametrize("phrase,start,end", [
    ("today", d(2026, 10, 20), TUESDAY),
    ("yesterday", d(2026, 10, 19), d(2026, 10, 20)),
    ("the day before yesterday", d(2026, 10, 18), d(2026, 10, 19)),
    ("last 7 days", d(2026, 10, 13, 14, 30), TUESDAY),
    ("past 2 weeks", d(2026, 10, 6, 14, 30), TUESDAY),
    ("last two weeks", d(2026, 10, 6, 14, 30), TUESDAY),
    ("in the last 24 hours", d(2026, 10, 19, 14, 30), TUESDAY),
    ("last 24h", d(2026, 10, 19, 14, 30), TUESDAY),
    ("past 30d", d(2026, 9, 20, 14, 30), TUESDAY),
    ("last 3 months", d(2026, 7, 20, 14, 30), TUESDAY),
    ("a couple of days", None, None),
    ("the past couple of days", d(2026, 10, 18, 14, 30), TUESDAY),
    ("last month", d(2026, 9, 1), d(2026, 10, 1)),
    ("previous month", d(2026, 9, 1), d(2026, 10, 1)),
    ("the last month", d(2026, 9, 20, 14, 30), TUESDAY),
    ("this month", d(2026, 10, 1), TUESDAY),
    ("month to date", d(2026, 10, 1), TUESDAY),
    ("in October", d(2026, 10, 1), TUESDAY),
    ("October 2026", d(2026, 10, 1), TUESDAY),
    ("October 2025", d(2025, 10, 1), d(2025, 11, 1)),
    ("in November", d(2025, 11, 1), d(2025, 12, 1)),
    ("during sept", d(2026, 9, 1), d(2026, 10, 1)),
    ("in may", d(2026, 5, 1), d(2026, 6, 1)),
    ("Oct 5", d(2026, 10, 5), d(2026, 10, 6)),
    ("5th of october", d(2026, 10, 5), d(2026, 10, 6)),
    ("December 24", d(2025, 12, 24), d(2025, 12, 25)),
    ("on 2026-10-05", d(2026, 10, 5), d(2026, 10, 6)),
    ("since Monday", d(2026, 10, 19), TUESDAY),
    ("since last Tuesday", d(2026, 10, 13), TUESDAY),
    ("since yesterday", d(2026, 10, 19), TUESDAY),
    ("since October 3", d(2026, 10, 3), TUESDAY),
    ("since 2026-10-01", d(2026, 10, 1), TUESDAY),
    ("since last month", d(2026, 9, 1), TUESDAY),
    ("last week", d(2026, 10, 12), d(2026, 10, 19)),
    ("the past week", d(2026, 10, 13, 14, 30), TUESDAY),
    ("this week", d(2026, 10, 19), TUESDAY),
    ("on Friday", d(2026, 10, 16), d(2026, 10, 17)),
    ("last Tuesday", d(2026, 10, 13), d(2026, 10, 14)),
    ("over the weekend", d(2026, 10, 17), d(2026, 10, 19)),
    ("Q3", d(2026, 7, 1), d(2026, 10, 1)),
    ("Q4", d(2026, 10, 1), TUESDAY),
    ("Q1 2025", d(2025, 1, 1), d(2025, 4, 1)),
    ("this quarter", d(2026, 10, 1), TUESDAY),
    ("last quarter", d(2026, 7, 1), d(2026, 10, 1)),
    ("H1", d(2026, 1, 1), d(2026, 7, 1)),
    ("YTD", d(2026, 1, 1), TUESDAY),
    ("this year", d(2026, 1, 1), TUESDAY),
    ("year to date", d(2026, 1, 1), TUESDAY),
    ("last year", d(2025, 1, 1), d(2026, 1, 1)),
    ("the past year", d(2025, 10, 20, 14, 30), TUESDAY),
    ("in 2025", d(2025, 1, 1), d(2026, 1, 1)),
    ("between 2026-10-01 and 2026-10-15", d(2026, 10, 1), d(2026, 10, 16)),
    ("from Sept 1 to Sept 30", d(2026, 9, 1), d(2026, 10, 1)),
    ("between August and September", d(2026, 8, 1), d(2026, 10, 1)),
    ("from 2026-10-10 until 2026-10-31", d(2026, 10, 10), TUESDAY),
])
def test_phrases_relative_to_a_tuesday_in_october(phrase, start, end):
    found = parse_time_range(phrase, TUESDAY)
    if start is None:
        assert found is None
    else:
        assert (found.start, found.end) == (start, end)


@pytest.mark.parametrize("phrase,start,end", [
    ("last month", d(2025, 12, 1), d(2026, 1, 1)),
    ("this month", d(2026, 1, 1), NEW_YEAR),
    ("last week", d(2025, 12, 22), d(2025, 12, 29)),
    ("this week", d(2025, 12, 29), NEW_YEAR),
    ("since Monday", d(2025, 12, 29), NEW_YEAR),
    ("yesterday", d(2026, 1, 2), d(2026, 1, 3)),
    ("in December", d(2025, 12, 1), d(2026, 1, 1)),
    ("Dec 31", d(2025, 12, 31), d(2026, 1, 1)),
    ("Q4", d(2025, 10, 1), d(2026, 1, 1)),
    ("this quarter", d(2026, 1, 1), NEW_YEAR),
    ("last quarter", d(2025, 10, 1), d(2026, 1, 1)),
    ("H2", d(2025, 7, 1), d(2026, 1, 1)),
    ("last year", d(2025, 1, 1), d(2026, 1, 1)),
    ("YTD", d(2026, 1, 1), NEW_YEAR),
    ("between Dec 15 and Jan 2", d(2025, 12, 15), d(2026, 1, 3)),
    ("last 2 months", d(2025, 11, 3, 10), NEW_YEAR),
])
def test_phrases_across_a_new_year(phrase, start, end):
    assert span(phrase, NEW_YEAR) == (start, end)


@pytest.mark.parametrize("phrase,now,start,end", [
    ("last month", LEAP_MONTH_END, d(2024, 2, 1), d(2024, 3, 1)),
    ("in February", LEAP_MONTH_END, d(2024, 2, 1), d(2024, 3, 1)),
    ("the past month", LEAP_MONTH_END, d(2024, 2, 29, 12), LEAP_MONTH_END),
    ("last 1 month", LEAP_MONTH_END, d(2024, 2, 29, 12), LEAP_MONTH_END),
    ("February 29", LEAP_MONTH_END, d(2024, 2, 29), d(2024, 3, 1)),
    ("yesterday", d(2024, 3, 1, 8), d(2024, 2, 29), d(2024, 3, 1)),
    ("yesterday", d(2025, 3, 1, 8), d(2025, 2, 28), d(2025, 3, 1)),
    ("feb 29", d(2025, 3, 1), d(2024, 2, 29), d(2024, 3, 1)),
    ("the past year", d(2024, 2, 29), d(2023, 2, 28), d(2024, 2, 29)),
    ("last 3 months", d(2026, 5, 31), d(2026, 2, 28), d(2026, 5, 31)),
    ("last 3 months", d(2024, 5, 31), d(2024, 2, 29), d(2024, 5, 31)),
])
def test_month_arithmetic_clamps_to_the_month_length_and_knows_leap_years(phrase, now, start, end):
    assert span(phrase, now) == (start, end)


def test_an_impossible_date_names_no_range():
    assert parse_time_range("feb 29 2025", d(2025, 3, 1)) is None
    assert parse_time_range("2026-02-30", TUESDAY) is None


def test_several_periods_make_one_span_covering_them_all():
    found = parse_time_range("this month vs last month", TUESDAY)
    assert (found.start, found.end, found.periods) == (d(2026, 9, 1), TUESDAY, 2)
    assert found.phrase == "this month; last month"


@pytest.mark.parametrize("text", [
    "may I see our costs", "we processed 2000 requests", "a budget of 2025 dollars", "for 2000 tokens",
    "which model is cheapest", "cut costs by 30%", "p95 latency", "a 24h delay is fine", "gpt-4o",
])
def test_words_that_are_not_periods(text):
    assert parse_time_range(text, TUESDAY) is None


def test_a_naive_now_is_utc_and_ranges_are_aware_utc():
    found = parse_time_range("yesterday", datetime(2026, 10, 20, 14, 30))
    assert found.start == d(2026, 10, 19) and found.start.tzinfo == UTC
    assert found.to_dict() == {"start": "2026-10-19T00:00:00+00:00", "end": "2026-10-20T00:00:00+00:00"}


def test_the_default_is_the_30_days_ending_now():
    found = default_range(TUESDAY)
    assert (found.start, found.end, found.phrase) == (d(2026, 9, 20, 14, 30), TUESDAY, "")


def test_add_months_clamps_the_day():
    assert add_months(d(2026, 1, 31), 1) == d(2026, 2, 28)
    assert add_months(d(2024, 1, 31), 1) == d(2024, 2, 29)
    assert add_months(d(2026, 1, 15), -1) == d(2025, 12, 15)
    assert add_months(d(2026, 3, 31), -13) == d(2025, 2, 28)


@pytest.mark.parametrize("phrase,start", [
    ("since the start of the month", d(2026, 10, 1)),
    ("since the beginning of the year", d(2026, 1, 1)),
    ("since the start of this quarter", d(2026, 10, 1)),
    ("since the first of the week", d(2026, 10, 19)),
])
def test_since_the_start_of_a_period(phrase, start):
    assert span(phrase, TUESDAY) == (start, TUESDAY)
