"""The usage function (entry point ``usage``): import, summarise and delete a user's usage records.

Routes (Bearer access token on all but health):

- ``POST /api/usage/import`` -- body ``text/csv`` or ``application/x-ndjson``
  (also ``application/jsonl``), UTF-8, sent whole or chunked; ``?format=tokenwise|litellm|openai``,
  detected from the header or first line when absent. 200 ``{imported, duplicates, rejected,
  errors: [{row, field, reason}], errors_truncated, format, rows, cost_sources, unpriced_models}``.
  415 for another content type, charset or a compressed body; 413 past ``USAGE_IMPORT_MAX_BYTES``;
  422 ``empty_body``, ``unknown_format``, ``format_not_detected``, ``missing_columns``,
  ``unexpected_columns``, ``invalid_header``, ``too_many_columns`` (a CSV header over 256 columns,
  ``details.columns`` the count); 400 ``upload_interrupted``; 503
  ``database_unavailable``. When an import stops part-way (413, 400, 503) after some batches were
  committed, ``details.committed`` is ``{imported, duplicates, through_row}``: rows up to
  ``through_row`` are stored, and sending the same upload again finishes it (stored rows are skipped).
- ``GET /api/usage/summary?start=&end=`` -- ISO 8601 dates or datetimes (UTC when no offset),
  ``start`` inclusive, ``end`` exclusive, either optional: totals and breakdowns by model,
  provider, feature and day -- the data agent's figures (``shared.usage.summary``), costs exact
  to the nano-dollar.
- ``POST /api/usage/demo`` -- body ``{rows?: 1..200000}`` (JSON, or empty; default 20,000): loads the
  deterministic demo records for the caller and answers like an import (``format: "demo"``, plus
  ``seed`` and ``days``). Idempotent: the records have fixed request ids, so a second call stores
  nothing new and counts them as ``duplicates``. 403 ``demo_disabled`` in production unless
  ``TOKENWISE_ALLOW_DEMO=1``; 422 for a bad ``rows`` or an unknown field; 503 with
  ``details.committed`` if the database fails part-way (call again to finish).
- ``DELETE /api/usage`` -- deletes every record of the caller: ``{deleted: n}``.
- ``GET /api/usage/health`` and ``/api/usage/health/ready``.

Options: ``TOKENWISE_ALLOW_DEMO`` (``1`` allows the demo route in production), and those of
``shared.usage`` and ``shared.db``.
"""
from __future__ import annotations

import os
from datetime import datetime

import flask
import functions_framework

# shared.auth loads PyJWT only when authenticate is first used: importing this unit does not pay for it.
from shared import auth, config, errors
from shared.auth.secret import secret_check
from shared.clock import parse_client_time
from shared.health import database_check, loading_check
from shared.http import FunctionApp, json_body
from shared.logging import get_logger

log = get_logger("usage")

# The first health probe starts loading the token and usage code in the background (shared.preload):
# the first real request finds it in memory instead of importing it.
app = FunctionApp("usage", "/api/usage", checks={
    "database": database_check, "jwt_secret": secret_check,
    "code": loading_check("the usage code", ("shared.auth.request", "shared.usage", "shared.agents.data.usage_profile"))},
    required=("database", "jwt_secret", "code"))

TEXT_CHARSETS = ("utf-8", "utf8", "us-ascii", "ascii")
DEMO_MAX_ROWS = 200_000
DEMO_BODY_MAX_BYTES = 1024


def _known_user(user_id: str) -> None:
    """401 ``user_not_found`` for a token whose account was deleted: its records could not be stored."""
    from shared.auth.accounts import require_user
    from shared.db import transaction
    with transaction() as conn:
        require_user(conn, user_id)


@app.route("/import", methods=("POST",))
def import_usage(request: flask.Request) -> dict:
    from shared.usage import import_stream
    from shared.usage.importer import max_bytes
    from shared.usage.reader import CSV_TYPES, JSONL_TYPES
    principal = auth.authenticate(request)
    mimetype = request.mimetype or ""
    charset = (request.mimetype_params.get("charset") or "utf-8").strip().lower()
    accepted = sorted(CSV_TYPES | JSONL_TYPES)
    if mimetype not in CSV_TYPES and mimetype not in JSONL_TYPES:
        raise errors.UnsupportedMediaType(
            "Send CSV (Content-Type: text/csv) or JSON Lines (Content-Type: application/x-ndjson).",
            {"content_type": request.content_type or None, "accepted": accepted})
    if charset not in TEXT_CHARSETS:
        raise errors.UnsupportedMediaType("Send the upload as UTF-8.", {"charset": charset})
    encoding = (request.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise errors.UnsupportedMediaType("Send the upload uncompressed.", {"content_encoding": encoding})
    limit = max_bytes()
    if request.content_length is not None and request.content_length > limit:
        raise errors.PayloadTooLarge(f"The upload is larger than {limit} bytes.", {"max_bytes": limit})
    _known_user(principal.user_id)
    report = import_stream(principal.user_id, request.stream, mimetype,
                           request.args.get("format") or None, limit_bytes=limit)
    log.info("usage imported", extra={"fields": {
        "user_id": principal.user_id, "format": report.format, "rows": report.rows,
        "imported": report.imported, "duplicates": report.duplicates, "rejected": report.rejected}})
    return report.to_dict()


def _demo_rows(request: flask.Request) -> int:
    """The ``rows`` asked for: an empty body means the default; any other body must be ``{rows?}``."""
    from shared.demo import DEFAULT_ROWS
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if not chunked and not request.content_length:
        return DEFAULT_ROWS
    body = json_body(request, max_bytes=DEMO_BODY_MAX_BYTES)
    problems = {name: "unknown field" for name in body if name != "rows"}
    rows = body.get("rows", DEFAULT_ROWS)
    if isinstance(rows, bool) or not isinstance(rows, int) or not 1 <= rows <= DEMO_MAX_ROWS:
        problems["rows"] = f"an integer from 1 to {DEMO_MAX_ROWS}"
    if problems:
        raise errors.ValidationFailed(problems)
    return rows


@app.route("/demo", methods=("POST",))
def load_demo_usage(request: flask.Request) -> dict:
    from shared.demo import load_demo
    principal = auth.authenticate(request)
    if config.is_production() and os.environ.get("TOKENWISE_ALLOW_DEMO") != "1":
        raise errors.Forbidden("Demo data is disabled on this deployment.", code="demo_disabled")
    rows = _demo_rows(request)
    _known_user(principal.user_id)
    loaded = load_demo(principal.user_id, rows=rows)
    log.info("demo usage loaded", extra={"fields": {
        "user_id": principal.user_id, "rows": loaded["rows"], "imported": loaded["imported"],
        "duplicates": loaded["duplicates"]}})
    return {"imported": loaded["imported"], "duplicates": loaded["duplicates"], "rejected": 0, "errors": [],
            "errors_truncated": False, "format": "demo", "rows": loaded["rows"],
            "cost_sources": loaded["cost_sources"], "unpriced_models": loaded["unpriced_models"],
            "seed": loaded["seed"], "days": loaded["days"]}


def _bound(request: flask.Request, name: str) -> datetime | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        return parse_client_time(value)
    except ValueError as exc:
        raise errors.ValidationFailed({name: str(exc)}) from None


@app.route("/summary")
def summary(request: flask.Request):
    from shared.db import transaction
    from shared.usage import summarize
    principal = auth.authenticate(request)
    start, end = _bound(request, "start"), _bound(request, "end")
    if start is not None and end is not None and start >= end:
        raise errors.ValidationFailed({"end": "must be after start"})
    with transaction() as conn:
        return summarize(conn, principal.user_id, start, end)


@app.route("/", methods=("DELETE",))
def delete_usage(request: flask.Request):
    from shared.db import transaction
    from shared.usage import delete_records
    principal = auth.authenticate(request)
    with transaction() as conn:
        deleted = delete_records(conn, principal.user_id)
    log.info("usage deleted", extra={"fields": {"user_id": principal.user_id, "deleted": deleted}})
    return {"deleted": deleted}


@functions_framework.http
def usage(request: flask.Request):
    return app(request)
