"""Time phrases in a question turned into a UTC range [start, end), relative to a given ``now``.

``parse_time_range(text, now)`` returns a ``TimeRange`` or None; ``default_range(now)`` is the 30
days ending at ``now``. Rules, all in UTC, weeks starting on Monday:

- rolling: "last/past/previous N hours|days|weeks|months|years" (also "last 24h", "past 7d"; words
  "two", "a couple of", "a few" = 3), "the past week/month" (7 days / one calendar month back);
- calendar: "today", "yesterday", "this/last week", "this/last month", "this/last quarter",
  "this/last year", "YTD", "MTD", "Q3 [2026]", "H1 [2026]", "in October", "October 2026",
  "Oct 5", "2026-10-05", "in 2025", "on/last Monday", "last weekend";
- open-ended: "since Monday|yesterday|Oct 3|2026-10-01|last month|the start of the month" → up to ``now``;
- explicit: "between|from DATE and|to|until DATE" where the second date is included whole
  ("between 2026-10-01 and 2026-10-15" ends at 2026-10-16 00:00).

A period that would leave the calendar (years 1 to 9999: "the last 1000000 days", "the past 3000
years") raises ``OutOfRange`` naming the words; nothing here overflows.

A month or day without a year is its latest occurrence that has begun by ``now``. No range
extends past ``now``: a period still running ends at ``now``. "last week" is the previous
calendar week, "the last week" the 7 days ending now. When a question names several periods
("this month vs last month") the result spans all of them.
"""
from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from shared.clock import aware_utc

DEFAULT_DAYS = 30
EARLIEST_YEAR = 2015  # a bare number before this is a count, not a year of LLM usage

MONTHS = {name: i for i, names in enumerate([
    (), ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sept", "sep"),
    ("october", "oct"), ("november", "nov"), ("december", "dec")]) for name in names}
WEEKDAYS = {name: i for i, name in enumerate(
    ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
                "couple": 2, "couple of": 2, "few": 3}

_MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
# "may" is also a verb: on its own it counts only after a word that introduces a period.
_MONTH_ALONE = r"(?:(?<=in )|(?<=during )|(?<=for )|(?<=since )|(?<=of )|(?<=last )|(?<=this )|" \
               r"(?<=and )|(?<=to )|(?<=until )|(?<=between )|(?<=from ))may|" + \
               "|".join(m for m in sorted(MONTHS, key=len, reverse=True) if m != "may")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
DATE = (rf"(?:{_YEAR}[-/]\d{{1,2}}[-/]\d{{1,2}}"
        rf"|{_MONTH}\s+{_DAY}(?!\d)(?:,?\s+{_YEAR})?"
        rf"|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
        rf"|(?:{_MONTH_ALONE})\.?(?:\s+{_YEAR})?"
        rf"|{_YEAR})(?![\w-])")
_NUM = r"(?P<n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple(?: of)?|few)"
_UNIT = r"(?P<unit>hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|y)"


MAX_PHRASE_QUOTED = 60


class OutOfRange(ValueError):
    """The words name a period that would leave the calendar."""

    def __init__(self, phrase: str):
        self.phrase = phrase
        quoted = phrase if len(phrase) <= MAX_PHRASE_QUOTED else phrase[:MAX_PHRASE_QUOTED - 3] + "..."
        self.reason = f'names a period out of range ("{quoted}"): it would leave the calendar (years 1 to 9999)'
        super().__init__(self.reason)


@dataclass(frozen=True)
class TimeRange:
    start: datetime  # aware UTC
    end: datetime    # aware UTC, exclusive
    phrase: str      # the words it came from ("" for the default)
    periods: int = 1  # how many periods the words named ("this month vs last month": 2)

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def default_range(now: datetime) -> TimeRange:
    now = aware_utc(now)
    return TimeRange(now - timedelta(days=DEFAULT_DAYS), now, "")


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar month arithmetic, the day clamped to the target month's length (Mar 31 - 1 = Feb 28/29)."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _month_span(year: int, month: int) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=UTC)
    return start, add_months(start, 1)


def _latest_month(month: int, now: datetime) -> int:
    """The year of the latest ``month`` that has begun by ``now``."""
    return now.year if month <= now.month else now.year - 1


def _number(word: str) -> int:
    word = re.sub(r"\s+", " ", word)
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def parse_date(text: str, now: datetime) -> tuple[datetime, datetime] | None:
    """A date, month or year written out (one ``DATE`` match) as the span it covers."""
    text = text.strip().rstrip(".")
    if m := re.fullmatch(rf"({_YEAR})[-/](\d{{1,2}})[-/](\d{{1,2}})", text):
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
        return _midnight(day), _midnight(day + timedelta(days=1))
    if re.fullmatch(_YEAR, text):
        year = int(text)
        return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    month_names = [word for word in re.findall(r"[a-z]+", text) if word in MONTHS]
    if not month_names:
        return None
    month = MONTHS[month_names[0]]
    year_match = re.search(rf"\b({_YEAR})$", text)
    day_match = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\b", text.replace(year_match[0], "") if year_match else text)
    if not day_match:
        year = int(year_match[1]) if year_match else _latest_month(month, now)
        return _month_span(year, month)
    latest = _latest_day(month, int(day_match[1]), int(year_match[1]) if year_match else None, now)
    return (_midnight(latest), _midnight(latest + timedelta(days=1))) if latest else None


def _latest_day(month: int, day_of_month: int, year: int | None, now: datetime) -> date | None:
    """That day in ``year``, or without a year its latest occurrence by ``now`` (Feb 29: the last leap year)."""
    years = [year] if year else range(now.year, now.year - 9, -1)
    for candidate in years:
        try:
            day = date(candidate, month, day_of_month)
        except ValueError:
            continue
        if year or _midnight(day) <= now:
            return day
    return None


def _weekday_on_or_before(weekday: int, today: date, strictly_before: bool = False) -> date:
    back = (today.weekday() - weekday) % 7
    if back == 0 and strictly_before:
        back = 7
    return today - timedelta(days=back)


Span = tuple[datetime, datetime]
Rule = Callable[[re.Match, datetime], "Span | None"]


def _rolling(m: re.Match, now: datetime) -> Span:
    amount, unit = _number(m["n"]), m["unit"][0]
    if unit == "h":
        return now - timedelta(hours=amount), now
    if unit == "d":
        return now - timedelta(days=amount), now
    if unit == "w":
        return now - timedelta(weeks=amount), now
    if unit == "m":
        return add_months(now, -amount), now
    return add_months(now, -12 * amount), now


def _the_past(m: re.Match, now: datetime) -> Span:
    unit = m["unit"] or m["unit2"] or m["unit3"]
    if unit == "hour":
        return now - timedelta(hours=1), now
    if unit in ("day", "week", "fortnight"):
        return now - timedelta(days={"day": 1, "week": 7, "fortnight": 14}[unit]), now
    return add_months(now, -{"month": 1, "quarter": 3, "year": 12}[unit]), now


def _day_word(m: re.Match, now: datetime) -> Span:
    today = now.date()
    back = {"today": 0, "yesterday": 1, "day before yesterday": 2}[m[0]]
    day = today - timedelta(days=back)
    return _midnight(day), _midnight(day + timedelta(days=1))


def _current(m: re.Match) -> bool:
    """The period "this"/"current" names, or one named without a qualifier ("month to date")."""
    return m["which"] in (None, "", "this", "current")


def _week(m: re.Match, now: datetime) -> Span:
    monday = _midnight(now.date() - timedelta(days=now.weekday()))
    if _current(m):
        return monday, monday + timedelta(weeks=1)
    return monday - timedelta(weeks=1), monday


def _month(m: re.Match, now: datetime) -> Span:
    first = datetime(now.year, now.month, 1, tzinfo=UTC)
    if _current(m):
        return first, add_months(first, 1)
    return add_months(first, -1), first


def _quarter_span(year: int, quarter: int) -> Span:
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=UTC)
    return start, add_months(start, 3)


def _this_quarter(m: re.Match, now: datetime) -> Span:
    start, end = _quarter_span(now.year, (now.month - 1) // 3 + 1)
    return (start, end) if _current(m) else (add_months(start, -3), start)


def _quarter(m: re.Match, now: datetime) -> Span:
    quarter = int(m["q"])
    if m["year"]:
        return _quarter_span(int(m["year"]), quarter)
    year = now.year if 3 * quarter - 2 <= now.month else now.year - 1
    return _quarter_span(year, quarter)


def _half(m: re.Match, now: datetime) -> Span:
    half = int(m["h"])
    year = int(m["year"]) if m["year"] else (now.year if half == 1 or now.month >= 7 else now.year - 1)
    start = datetime(year, 1 if half == 1 else 7, 1, tzinfo=UTC)
    return start, add_months(start, 6)


def _year(m: re.Match, now: datetime) -> Span:
    year = now.year if _current(m) else now.year - 1
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def _weekday(m: re.Match, now: datetime) -> Span:
    day = _weekday_on_or_before(WEEKDAYS[m["wd"]], now.date(), strictly_before=m["which"] == "last")
    return _midnight(day), _midnight(day + timedelta(days=1))


def _weekend(m: re.Match, now: datetime) -> Span:
    saturday = _weekday_on_or_before(5, now.date())
    return _midnight(saturday), _midnight(saturday + timedelta(days=2))


def _since(m: re.Match, now: datetime) -> Span | None:
    anchor = m["anchor"]
    weekday = re.fullmatch(r"(last )?(\w+)", anchor)
    if weekday and weekday[2] in WEEKDAYS:
        day = _weekday_on_or_before(WEEKDAYS[weekday[2]], now.date(), strictly_before=bool(weekday[1]))
        return _midnight(day), now
    for pattern, rule in _ANCHORED:
        inner = re.fullmatch(pattern, anchor)
        if inner:
            span = rule(inner, now)
            return (span[0], now) if span else None
    return None


def _between(m: re.Match, now: datetime) -> Span | None:
    first, second = parse_date(m["a"], now), parse_date(m["b"], now)
    if not first or not second:
        return None
    start, end = first[0], second[1]
    if start >= end and not re.search(_YEAR, m["a"]):  # "Dec 15 to Jan 10" across a new year
        start = add_months(start, -12)
    return (start, end) if start < end else None


def _start_of(m: re.Match, now: datetime) -> Span:
    period = m["period"]
    if period == "week":
        return _week(m, now)
    if period == "month":
        return _month(m, now)
    if period == "quarter":
        return _this_quarter(m, now)
    return _year(m, now)


def _date(m: re.Match, now: datetime) -> Span | None:
    return parse_date(m[0], now)


def _year_number(m: re.Match, now: datetime) -> Span | None:
    return parse_date(m[0], now) if EARLIEST_YEAR <= int(m[0]) <= now.year else None


_PERIOD = r"hour|day|week|fortnight|month|quarter|year"
_WHICH_WEEK = r"(?:(?P<which>this|current|last|previous|prior)\s+week|week\s+to\s+date|wtd)"
_WHICH_MONTH = r"(?:(?P<which>this|current|last|previous|prior)\s+month|month\s+to\s+date|mtd)"
_WHICH_YEAR = r"(?:(?P<which>this|current|last|previous|prior)\s+year|year\s+to\s+date|ytd)"
# Anchors "since ..." understands, besides weekday names.
_ANCHORED: list[tuple[str, Rule]] = [
    (r"today|yesterday|day before yesterday", _day_word),
    (r"(?:start|beginning|first) of (?:the |this )?(?P<which>)(?P<period>week|month|quarter|year)", _start_of),
    (_WHICH_WEEK, _week),
    (_WHICH_MONTH, _month),
    (_WHICH_YEAR, _year),
    (DATE, _date),
]
RULES: list[tuple[str, Rule]] = [
    (rf"(?:between|from)\s+(?P<a>{DATE})\s+(?:and|to|until|till|through|-)\s+(?P<b>{DATE})", _between),
    (r"since\s+(?:the\s+)?(?P<anchor>(?:last\s+)?(?:" + "|".join(WEEKDAYS) + r")|today|yesterday|"
     r"(?:start|beginning|first) of (?:the |this )?(?:week|month|quarter|year)|"
     + _WHICH_WEEK.replace("?P<which>", "?:") + "|" + _WHICH_MONTH.replace("?P<which>", "?:") + "|"
     + _WHICH_YEAR.replace("?P<which>", "?:") + rf"|{DATE})", _since),
    (rf"(?:last|past|previous|prior|trailing)\s+{_NUM}\s*{_UNIT}(?![a-z])", _rolling),
    (rf"the\s+(?:last|past)\s+(?P<unit>{_PERIOD})\b|past\s+(?P<unit2>{_PERIOD})\b"
     r"|last\s+(?P<unit3>hour|day|fortnight)\b", _the_past),
    (r"day before yesterday|yesterday|today", _day_word),
    (_WHICH_WEEK, _week),
    (_WHICH_MONTH, _month),
    (_WHICH_YEAR, _year),
    (r"(?P<which>this|current|last|previous|prior)\s+quarter", _this_quarter),
    (rf"\bq(?P<q>[1-4])(?:\s*(?:of\s+)?(?P<year>{_YEAR}))?\b", _quarter),
    (rf"\bh(?P<h>[12])(?:\s*(?:of\s+)?(?P<year>{_YEAR}))?\b", _half),
    (r"(?:on\s+|(?P<which>last)\s+)(?P<wd>" + "|".join(WEEKDAYS) + r")\b", _weekday),
    (r"(?:this|last|the|over the)\s+weekend", _weekend),
    # A bare year only after a word that introduces a period, and not as a count ("for 2000 requests").
    (rf"(?:(?<=in )|(?<=during )|(?<=for )|(?<=throughout )){_YEAR}(?![\w-])"
     r"(?!\s*(?:tokens|requests|calls|records|rows|dollars|usd|users|\$))", _year_number),
    (rf"(?:{_YEAR}[-/]\d{{1,2}}[-/]\d{{1,2}}|{_MONTH}\s+{_DAY}(?!\d)(?:,?\s+{_YEAR})?"
     rf"|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?|(?:{_MONTH_ALONE})\.?(?:\s+{_YEAR})?)(?![\w-])", _date),
]


_COMPILED = [(re.compile(rf"(?<![\w-])(?:{pattern})", re.IGNORECASE), rule) for pattern, rule in RULES]


def parse_time_range(text: str, now: datetime) -> TimeRange | None:
    """The range the text names (the span of all periods it names), or None; ``OutOfRange``."""
    now = aware_utc(now)
    lowered = re.sub(r"\s+", " ", text.lower().replace("’", "'"))
    found: list[tuple[int, int, Span | None]] = []  # None: the period leaves the calendar
    for pattern, rule in _COMPILED:
        for m in pattern.finditer(lowered):
            try:
                span = rule(m, now)
            except (OverflowError, ValueError):  # date arithmetic past year 1 or 9999, or a count past int()
                found.append((m.start(), m.end(), None))
                continue
            if span and span[0] < span[1]:
                found.append((m.start(), m.end(), span))
    picked: list[tuple[int, int, Span | None]] = []
    for item in sorted(found, key=lambda f: (-(f[1] - f[0]), f[0])):  # longest phrase wins an overlap
        if all(item[1] <= c[0] or item[0] >= c[1] for c in picked):
            picked.append(item)
    chosen: list[tuple[int, int, Span]] = []
    for first, last, maybe in sorted(picked, key=lambda c: c[0]):
        if maybe is None:
            raise OutOfRange(lowered[first:last].strip())
        chosen.append((first, last, maybe))
    if not chosen:
        return None
    start = min(c[2][0] for c in chosen)
    end = max(c[2][1] for c in chosen)
    if start < now < end:
        end = now
    phrase = "; ".join(lowered[c[0]:c[1]].strip() for c in chosen)
    return TimeRange(start, end, phrase, len(chosen))
