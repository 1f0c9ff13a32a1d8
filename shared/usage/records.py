"""One normalised usage record, and the checks every format's values go through.

``Record`` is what the store writes: one row of ``usage_records`` without the
``user_id`` and ``imported_at`` the store adds. ``RowCheck`` turns raw values
(CSV strings or JSON values) into typed ones and collects every problem of a
row as ``(field, reason)``, so one bad row reports all its bad fields at once.

Conventions: timestamps are stored as naive UTC (an offset is converted, a
naive value is taken as UTC); ``prompt_tokens`` includes ``cached_tokens``
and ``cache_write_tokens``; empty strings and JSON ``null`` mean "not given".
"""
from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, NamedTuple, overload

INT_MAX = 2_147_483_647  # the INTEGER columns' range on PostgreSQL
MAX_COST_USD = 1_000_000.0

# Longest text each column holds (the schema's String lengths).
TEXT_LIMITS = {"request_id": 200, "provider": 64, "model": 200, "feature": 200, "status": 32,
               "prompt_hash": 128, "end_user": 200}

SUCCESS_WORDS = frozenset({"success", "succeeded", "ok", "200", "completed", "complete"})
ERROR_WORDS = frozenset({"error", "failure", "failed", "fail"})


class Record(NamedTuple):
    request_id: str
    timestamp: datetime
    provider: str
    model: str
    feature: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    latency_ms: int | None
    status: str
    cost_usd: float | None
    cost_source: str  # "reported" | "computed" | "unpriced"
    is_batch: bool
    max_tokens: int | None
    prompt_hash: str | None
    end_user: str | None
    request_count: int
    source_format: str


COLUMNS = Record._fields


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def normalise_status(value: str | None) -> str:
    """``success`` for the usual success words, ``error`` for failure words, else the value lower-cased."""
    if value is None:
        return "success"
    lowered = value.strip().lower()
    if lowered in SUCCESS_WORDS:
        return "success"
    if lowered in ERROR_WORDS:
        return "error"
    return lowered


def parse_timestamp(value: Any) -> datetime:
    """ISO 8601 text (or Unix seconds as a number) as naive UTC; raises ``ValueError``."""
    if isinstance(value, bool):
        raise ValueError("expected an ISO 8601 timestamp")
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError("expected an ISO 8601 timestamp")
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None)
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text), UTC).replace(tzinfo=None)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("expected an ISO 8601 timestamp") from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


class RowCheck:
    """Typed values for one row; each failing field is recorded once as ``(field, reason)``."""

    __slots__ = ("problems",)

    def __init__(self) -> None:
        self.problems: list[tuple[str | None, str]] = []

    def fail(self, field: str | None, reason: str) -> None:
        self.problems.append((field, reason))

    @property
    def ok(self) -> bool:
        return not self.problems

    def text(self, field: str, value: Any, *, required: bool = True, limit_key: str | None = None) -> str | None:
        if value.__class__ is not str:
            if value is None:
                if required:
                    self.fail(field, "is required")
                return None
            if isinstance(value, (dict, list, bool)):
                self.fail(field, "must be text")
                return None
            value = str(value)
        value = value.strip()
        if not value:
            if required:
                self.fail(field, "is required")
            return None
        limit = TEXT_LIMITS[limit_key or field]
        if len(value) > limit:
            self.fail(field, f"is longer than {limit} characters")
            return None
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                self.fail(field, "is not valid UTF-8")
                return None
        if not value.isprintable() and ("\x00" in value or "\n" in value or "\r" in value):
            # NUL cannot be stored; line breaks would make the value ambiguous in exports
            self.fail(field, "contains a control character (NUL or a line break)")
            return None
        return value

    # With an int ``default`` the result is always an int: every failing path returns the default.
    @overload
    def integer(self, field: str, value: Any, *, required: bool = True, default: int) -> int: ...

    @overload
    def integer(self, field: str, value: Any, *, required: bool = True, default: None = None,
                ) -> int | None: ...

    def integer(self, field: str, value: Any, *, required: bool = True, default: int | None = None,
                ) -> int | None:
        if value.__class__ is int and 0 <= value <= INT_MAX:
            return value
        if _empty(value):
            if required:
                self.fail(field, "is required")
            return default
        if isinstance(value, bool):
            self.fail(field, "must be a whole number")
            return default
        if isinstance(value, int):
            number = value
        else:
            try:
                number = int(value)
            except (TypeError, ValueError):
                try:  # "12.0" from spreadsheets is a whole number; "12.5" is not
                    as_float = float(value)
                except (TypeError, ValueError, OverflowError):
                    self.fail(field, "must be a whole number")
                    return default
                if not as_float.is_integer():
                    self.fail(field, "must be a whole number")
                    return default
                number = int(as_float)
        if number < 0:
            self.fail(field, "must not be negative")
            return default
        if number > INT_MAX:
            self.fail(field, f"must be at most {INT_MAX}")
            return default
        return number

    def number(self, field: str, value: Any, *, required: bool = False, maximum: float = INT_MAX,
               ) -> float | None:
        if value is None or (value.__class__ is str and not value.strip()):
            if required:
                self.fail(field, "is required")
            return None
        if isinstance(value, bool):
            self.fail(field, "must be a number")
            return None
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            self.fail(field, "must be a number")
            return None
        if not math.isfinite(number):
            self.fail(field, "must be a finite number")
            return None
        if number < 0:
            self.fail(field, "must not be negative")
            return None
        if number > maximum:
            self.fail(field, f"must be at most {maximum:g}")
            return None
        return number

    def timestamp(self, field: str, value: Any, *, required: bool = True) -> datetime | None:
        if _empty(value):
            if required:
                self.fail(field, "is required")
            return None
        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError, OSError):
            self.fail(field, "must be an ISO 8601 timestamp")
            return None

    def boolean(self, field: str, value: Any) -> bool:
        if _empty(value):
            return False
        if isinstance(value, bool):
            return value
        lowered = str(value).strip().lower()
        if lowered in ("true", "t", "1", "yes", "y"):
            return True
        if lowered in ("false", "f", "0", "no", "n"):
            return False
        self.fail(field, "must be true or false")
        return False
