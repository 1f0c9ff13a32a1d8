"""Structured JSON logs in the shape Cloud Logging reads from stdout.

Each line carries ``severity``, ``message``, ``logger``, the trace id taken
from ``X-Cloud-Trace-Context`` (as ``logging.googleapis.com/trace`` when
``GOOGLE_CLOUD_PROJECT`` is known) and any ``extra={"fields": {...}}``.
Never log a token or a password: pass ids, not credentials.
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
from datetime import datetime, timezone

_configured = False
_lock = threading.Lock()


def _trace_id() -> str | None:
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover - flask is a hard dependency
        return None
    if not has_request_context():
        return None
    header = request.headers.get("X-Cloud-Trace-Context", "")
    return header.split("/", 1)[0] or None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "severity": record.levelname if record.levelname != "WARNING" else "WARNING",
            "message": record.getMessage(),
            "logger": record.name,
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
        }
        trace = _trace_id()
        if trace:
            project = os.environ.get("GOOGLE_CLOUD_PROJECT")
            entry["logging.googleapis.com/trace"] = (
                f"projects/{project}/traces/{trace}" if project else trace
            )
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def get_logger(name: str) -> logging.Logger:
    """A logger under ``tokenwise`` that writes one JSON object a line to stdout."""
    global _configured
    if not _configured:
        with _lock:
            if not _configured:
                root = logging.getLogger("tokenwise")
                handler = logging.StreamHandler(sys.stdout)
                handler.setFormatter(JsonFormatter())
                root.addHandler(handler)
                root.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
                root.propagate = False
                _configured = True
    return logging.getLogger(f"tokenwise.{name}")
