"""The WebSocket protocol: client frames parsed into typed messages, server frames built as dicts.

Client frames are JSON objects with a ``type``: ``user_message`` (aliases
``message``, ``chat_message``, ``chat``; the text in ``content``, ``text`` or
``message``), ``stop_agent``, ``ping``, ``get_thread_history``, ``resume``. A ``user_message``
is validated by the agent functions' own request parser (``shared.agents.http.request``): a bad
``context``, ``thread_id`` or text gets ``invalid_message`` with ``details {field, reason}`` in
the words of the HTTP API's 422.
A frame that is not JSON is ``invalid_json``, and so is one the server will not
hold: nested deeper than ``MAX_DEPTH`` levels, or a number longer than Python
converts (4,300 digits). An unknown type is
``unknown_type``; a known type with missing or malformed fields is
``invalid_message``. Server frames are JSON objects with a ``type``; agent
events travel in their envelope unchanged.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, overload

from shared.agents.http.request import parse_agent_request
from shared.errors import ValidationFailed

USER_MESSAGE_TYPES = ("user_message", "message", "chat_message", "chat")
CONTENT_KEYS = ("content", "text", "message")
KNOWN_TYPES = USER_MESSAGE_TYPES + ("stop_agent", "ping", "get_thread_history", "resume")
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_CLIENT_MESSAGE_ID = 100
# Frames are a few levels deep. A deeper one is refused before anything walks it: echoing or
# storing a value nested close to the interpreter's recursion limit would fail later, as a bug.
MAX_DEPTH = 32


class ProtocolError(Exception):
    """A frame the server answers with ``error {code}`` while keeping the socket open."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


@dataclass(frozen=True)
class UserMessage:
    content: str
    thread_id: str | None
    client_message_id: str | None
    context: dict[str, Any] | None


@dataclass(frozen=True)
class StopAgent:
    run_id: str


@dataclass(frozen=True)
class Ping:
    echo: dict[str, Any]


@dataclass(frozen=True)
class GetThreadHistory:
    thread_id: str


@dataclass(frozen=True)
class Resume:
    run_id: str
    after_seq: int  # replay events with a larger sequence number; 0 replays the whole run


ClientMessage = UserMessage | StopAgent | Ping | GetThreadHistory | Resume


def frame(type_: str, **fields: Any) -> dict[str, Any]:
    return {"type": type_, **fields}


def error_frame(code: str, message: str, details: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    return frame("error", code=code, message=message, details=details or {}, **extra)


def event_seq(event_id: str, run_id: str) -> int:
    """The sequence number in ``<run_id>-<seq>``; ``ProtocolError`` if the id is not of that run."""
    prefix, _, seq = event_id.rpartition("-")
    if prefix != run_id or not seq.isdigit():
        raise ProtocolError("invalid_message", "last_event_id is not an event of this run.",
                            {"field": "last_event_id"})
    return int(seq)


@overload
def _id_field(body: dict, name: str, required: Literal[True]) -> str: ...
@overload
def _id_field(body: dict, name: str, required: bool) -> str | None: ...
def _id_field(body: dict, name: str, required: bool) -> str | None:
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise ProtocolError("invalid_message", f"'{name}' must be an id string.", {"field": name})
    return value


def _user_message(body: dict) -> UserMessage:
    content = next((body[k] for k in CONTENT_KEYS if isinstance(body.get(k), str) and body[k].strip()), None)
    if content is None:
        raise ProtocolError("invalid_message", "A user message needs non-empty text in 'content'.",
                            {"field": "content"})
    client_message_id = body.get("client_message_id")
    if client_message_id is not None and (not isinstance(client_message_id, str)
                                          or len(client_message_id) > MAX_CLIENT_MESSAGE_ID):
        raise ProtocolError("invalid_message", "'client_message_id' must be a short string.",
                            {"field": "client_message_id"})
    try:
        request = parse_agent_request({"message": content, "thread_id": body.get("thread_id"),
                                       "context": body.get("context")})
    except ValidationFailed as exc:
        fields = {("content" if name == "message" else name): reason
                  for name, reason in exc.details["fields"].items()}
        field, reason = next(iter(fields.items()))
        raise ProtocolError("invalid_message", f"'{field}' {reason}.",
                            {"field": field, "reason": reason, "fields": fields}) from None
    return UserMessage(request.message, request.thread_id, client_message_id, request.agent_context())


def _resume(body: dict) -> Resume:
    run_id = _id_field(body, "run_id", required=True)
    last_event_id = body.get("last_event_id")
    if last_event_id is None:
        return Resume(run_id, 0)
    if not isinstance(last_event_id, str):
        raise ProtocolError("invalid_message", "'last_event_id' must be a string.", {"field": "last_event_id"})
    return Resume(run_id, event_seq(last_event_id, run_id))


def _deeper_than(value: Any, limit: int) -> bool:
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def _decode(raw: str | bytes) -> Any:
    too_deep = f"is nested deeper than {MAX_DEPTH} levels"
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError("invalid_json", "The frame is not valid JSON.", {"reason": str(exc)}) from None
    except ValueError:  # an integer past the interpreter's digit limit for conversions
        reason = "has a number with more digits than the server reads"
    except RecursionError:
        reason = too_deep
    else:
        if not _deeper_than(body, MAX_DEPTH):
            return body
        reason = too_deep
    raise ProtocolError("invalid_json", "The frame is JSON the server cannot read.", {"reason": reason})


def parse(raw: str | bytes) -> ClientMessage:
    """One client frame as a typed message, or ``ProtocolError``."""
    body = _decode(raw)
    if not isinstance(body, dict):
        raise ProtocolError("invalid_message", "A frame must be a JSON object with a 'type'.")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise ProtocolError("invalid_message", "A frame needs a 'type'.", {"field": "type"})
    if kind in USER_MESSAGE_TYPES:
        return _user_message(body)
    if kind == "stop_agent":
        return StopAgent(_id_field(body, "run_id", required=True))
    if kind == "ping":
        return Ping({k: body[k] for k in ("id", "timestamp") if k in body})
    if kind == "get_thread_history":
        return GetThreadHistory(_id_field(body, "thread_id", required=True))
    if kind == "resume":
        return _resume(body)
    raise ProtocolError("unknown_type", f"Unknown message type {kind[:50]!r}.",
                        {"type": kind[:50], "known": list(KNOWN_TYPES)})
