"""The agent functions' request body: ``{message, thread_id?, context?}``, validated into an ``AgentRequest``.

Rules (every violation is a 422 ``validation_failed`` naming the field):

- ``message``: a string, non-empty once trimmed, at most ``MAX_MESSAGE_CHARS`` (4,000) characters.
- ``thread_id``: optional string of at most 200 characters (or null).
- ``context``: optional object (or null); unknown keys are kept and passed on.
- ``context.time_range``: ``{start, end}``, each an ISO 8601 date (``2026-10-01``, midnight UTC) or
  an ISO 8601 datetime that is naive (read as UTC) or carries a zero offset (``Z``/``+00:00``).
  ``start`` is inclusive and ``end`` exclusive, ``start < end``, at most ``MAX_RANGE_DAYS`` (366) days.
  It overrides any range parsed from the message.
- ``context.now``: an ISO 8601 datetime (or date), UTC as above: the "now" relative phrases refer to.

Datetimes leave this module as naive UTC, the convention of the database and the agents.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from shared.errors import ValidationFailed

MAX_MESSAGE_CHARS = 4000
MAX_THREAD_ID_CHARS = 200
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class AgentRequest:
    message: str
    thread_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    start: datetime | None = None  # naive UTC, from context.time_range
    end: datetime | None = None
    now: datetime | None = None  # naive UTC, from context.now

    @property
    def time_range(self) -> tuple[datetime, datetime] | None:
        return (self.start, self.end) if self.start and self.end else None

    def agent_context(self) -> dict[str, Any]:
        """The context handed to the agents, with the validated range and ``now`` as ISO strings."""
        context = dict(self.context)
        if self.time_range:
            context["time_range"] = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if self.now:
            context["now"] = self.now.isoformat()
        return context


def parse_utc(value: Any) -> datetime:
    """An ISO 8601 date or UTC datetime as naive UTC; ``ValueError`` with a readable reason otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO 8601 date or datetime string")
    text = value.strip()
    if len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError("is not a valid ISO 8601 date (YYYY-MM-DD)") from None
        return datetime(day.year, day.month, day.day)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("is not a valid ISO 8601 datetime") from None
    if moment.tzinfo is not None:
        if moment.utcoffset() != timedelta(0):
            raise ValueError("must be in UTC (no offset, 'Z' or '+00:00')")
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


def _time_range(raw: Any, fields: dict[str, str]) -> tuple[datetime | None, datetime | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        fields["context.time_range"] = "must be an object {start, end}"
        return None, None
    bounds: dict[str, datetime] = {}
    for key in ("start", "end"):
        if key not in raw or raw[key] is None:
            fields[f"context.time_range.{key}"] = "is required"
            continue
        try:
            bounds[key] = parse_utc(raw[key])
        except ValueError as exc:
            fields[f"context.time_range.{key}"] = str(exc)
    if len(bounds) != 2:
        return None, None
    start, end = bounds["start"], bounds["end"]
    if start >= end:
        fields["context.time_range"] = "start must be before end (start inclusive, end exclusive)"
    elif end - start > timedelta(days=MAX_RANGE_DAYS):
        fields["context.time_range"] = f"must span at most {MAX_RANGE_DAYS} days"
    else:
        return start, end
    return None, None


def parse_agent_request(body: dict[str, Any]) -> AgentRequest:
    """Validate a decoded JSON body; raises ``ValidationFailed`` listing every bad field."""
    fields: dict[str, str] = {}
    message = body.get("message")
    if message is None:
        fields["message"] = "is required"
    elif not isinstance(message, str):
        fields["message"] = "must be a string"
    elif not message.strip():
        fields["message"] = "must not be empty"
    elif len(message) > MAX_MESSAGE_CHARS:
        fields["message"] = f"must be at most {MAX_MESSAGE_CHARS} characters"

    thread_id = body.get("thread_id")
    if thread_id is not None and not isinstance(thread_id, str):
        fields["thread_id"] = "must be a string"
    elif isinstance(thread_id, str) and not (0 < len(thread_id) <= MAX_THREAD_ID_CHARS):
        fields["thread_id"] = f"must be 1 to {MAX_THREAD_ID_CHARS} characters"

    context = body.get("context")
    start = end = now = None
    if context is None:
        context = {}
    elif not isinstance(context, dict):
        fields["context"] = "must be an object"
        context = {}
    else:
        start, end = _time_range(context.get("time_range"), fields)
        if context.get("now") is not None:
            try:
                now = parse_utc(context["now"])
            except ValueError as exc:
                fields["context.now"] = str(exc)

    if fields:
        raise ValidationFailed(fields)
    return AgentRequest(message=message.strip(), thread_id=thread_id, context=context,
                        start=start, end=end, now=now)
