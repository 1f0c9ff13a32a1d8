"""The agent functions' request body: ``{message, thread_id?, context?}``, validated into an ``AgentRequest``.

Rules (every violation is a 422 ``validation_failed`` naming the field):

- ``message``: a string, non-empty once trimmed, at most ``MAX_MESSAGE_CHARS`` (4,000) characters:
  the one limit on a question, over HTTP and over the chat's socket alike. No NUL character: the
  chat stores the question, and PostgreSQL refuses NUL in text.
- ``thread_id``: optional id of 1 to 64 letters, digits, ``-`` or ``_`` (or null).
- ``context``: optional object (or null); unknown keys are kept and passed on.
- ``context.time_range``: ``{start, end}``, each a client timestamp as ``shared.clock`` reads them
  (an ISO 8601 date or datetime; no offset means UTC, an explicit offset is converted). ``start`` is inclusive and ``end`` exclusive, ``start < end``, at most ``MAX_RANGE_DAYS`` (366) days.
  It overrides any range parsed from the message.
- ``context.now``: a client timestamp as above: the "now" relative phrases refer to.
- Each of these moments lies between 1900-01-01 and 9000-01-01 (``shared.clock.EARLIEST`` and
  ``LATEST``), so that periods counted from them stay in the calendar; outside, the reason is
  "is out of range: ...".

Datetimes leave this module as naive UTC, the convention of the database and the agents. Every
entry point uses ``parse_agent_request``: the four agent functions, the supervisor itself and the
chat's ``user_message`` frame, so a context is accepted or refused in the same words everywhere.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.clock import OUT_OF_RANGE, parse_client_time, within_range
from shared.errors import ValidationFailed

MAX_MESSAGE_CHARS = 4000
THREAD_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
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
        if time_range := self.time_range:
            context["time_range"] = {"start": time_range[0].isoformat(), "end": time_range[1].isoformat()}
        if self.now:
            context["now"] = self.now.isoformat()
        return context


def _moment(value: Any, name: str, fields: dict[str, str]) -> datetime | None:
    try:
        moment = parse_client_time(value)
    except ValueError as exc:
        fields[name] = str(exc)
        return None
    if not within_range(moment):
        fields[name] = OUT_OF_RANGE
        return None
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
        moment = _moment(raw[key], f"context.time_range.{key}", fields)
        if moment is not None:
            bounds[key] = moment
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
    """Validate a decoded JSON body; raises ``ValidationFailed`` listing every bad field (``fields``:
    name -> reason, names as in the body: ``message``, ``thread_id``, ``context.now`` ...)."""
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
    elif "\x00" in message:
        fields["message"] = "must not contain the NUL character (U+0000)"

    thread_id = body.get("thread_id")
    if thread_id is not None and not isinstance(thread_id, str):
        fields["thread_id"] = "must be a string"
    elif isinstance(thread_id, str) and not THREAD_ID.fullmatch(thread_id):
        fields["thread_id"] = "must be 1 to 64 letters, digits, '-' or '_'"

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
            now = _moment(context["now"], "context.now", fields)

    if fields:
        raise ValidationFailed(fields)
    assert isinstance(message, str)  # any other value is a problem, raised above
    return AgentRequest(message=message.strip(), thread_id=thread_id, context=context,
                        start=start, end=end, now=now)
