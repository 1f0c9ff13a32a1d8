"""The chat's HTTP API, every route Bearer-authenticated and scoped to the caller.

- ``GET /api/threads?limit=50`` (1..200): the caller's threads, most recently active first.
- ``GET /api/threads/{id}/messages``: the thread and its messages in order.
- ``DELETE /api/threads/{id}``: 204; stops its runs and deletes messages, runs and events.
- ``POST /api/ws/ticket``: ``{ticket, expires_in}``, a one-time ``?ticket=`` for ``/ws``.

Another user's thread answers 404 exactly like a missing one. A token whose account has been
deleted answers 401 ``user_not_found`` on every route (a ticket could not even be stored for it).
"""
from __future__ import annotations

import time

import flask

from functions.chat import history, tickets
from functions.chat.protocol import ID_PATTERN
from shared.auth import Principal, authenticate
from shared.auth.accounts import require_user
from shared.db import transaction
from shared.errors import NotFound, ValidationFailed
from shared.http import json_response

MAX_LIMIT = 200

blueprint = flask.Blueprint("chat_threads", __name__)


def _service():
    return flask.current_app.extensions["tokenwise_chat"]


def _caller() -> Principal:
    principal = authenticate(flask.request)
    with transaction() as conn:
        require_user(conn, principal.user_id)
    return principal


def _thread_not_found(thread_id: str) -> NotFound:
    return NotFound("There is no such thread.", {"thread_id": thread_id})


@blueprint.get("/api/threads")
def list_threads():
    principal = _caller()
    raw = flask.request.args.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ValidationFailed({"limit": f"an integer from 1 to {MAX_LIMIT}"})
    return json_response({"threads": history.list_threads(principal.user_id, int(raw))})


@blueprint.get("/api/threads/<thread_id>/messages")
def thread_messages(thread_id: str):
    principal = _caller()
    thread = history.thread_with_messages(principal.user_id, thread_id) if ID_PATTERN.fullmatch(thread_id) else None
    if thread is None:
        raise _thread_not_found(thread_id)
    return json_response(thread)


@blueprint.delete("/api/threads/<thread_id>")
def delete_thread(thread_id: str):
    principal = _caller()
    if not ID_PATTERN.fullmatch(thread_id) or not _service().delete_thread(principal.user_id, thread_id):
        raise _thread_not_found(thread_id)
    return flask.Response(status=204)


@blueprint.post("/api/ws/ticket")
def issue_ticket():
    principal = _caller()
    ttl = _service().settings.ticket_ttl_s
    ticket = tickets.issue(principal, ttl)
    remaining = int(principal.expires_at.timestamp() - time.time())
    return json_response({"ticket": ticket, "expires_in": max(0, min(ttl, remaining))})
