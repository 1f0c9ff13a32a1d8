"""Structured JSON logs in the shape Cloud Logging reads from stdout: one object a line, nothing else.

Each line carries ``severity``, ``message``, ``logger``, the trace id taken
from ``X-Cloud-Trace-Context`` (as ``logging.googleapis.com/trace`` when
``GOOGLE_CLOUD_PROJECT`` is known), any ``extra={"fields": {...}}`` and, for an
exception, its traceback as one ``stack_trace`` string.
Never log a token or a password: pass ids, not credentials.

The first ``get_logger`` call configures the process: our loggers (``tokenwise.*``,
level ``LOG_LEVEL``, default INFO) and every library's (through the root logger,
at its own level: warnings and errors) write through the one JSON handler, and so
do warnings and exceptions that end a thread or the program. Without it a library's
error falls to Python's last-resort handler, which prints a multi-line traceback on
stderr (SQLAlchemy's pool does when it drops a connection the server closed).
"""
from __future__ import annotations

import json
import logging
import os
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType

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
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
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


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    thread = args.thread.name if args.thread is not None else "unknown"
    logging.getLogger("tokenwise.thread").critical(
        "uncaught exception in a thread", exc_info=args.exc_value or True, extra={"fields": {"thread": thread}})


def _log_uncaught(exc_type: type[BaseException], exc_value: BaseException, traceback: TracebackType | None) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc_value, traceback)
        return
    logging.getLogger("tokenwise.process").critical("uncaught exception", exc_info=(exc_type, exc_value, traceback))


def configure() -> None:
    """Route every log record, warning and uncaught exception of the process through one JSON handler."""
    global _configured
    if _configured:
        return
    with _lock:
        if _configured:
            return
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        ours = logging.getLogger("tokenwise")
        ours.addHandler(handler)
        ours.setLevel(os.environ.get("LOG_LEVEL", "INFO").upper())
        ours.propagate = False  # a runtime's own root handlers must not print our lines a second time
        logging.getLogger().addHandler(handler)  # libraries' loggers propagate to the root
        logging.captureWarnings(True)
        # Only the interpreter's defaults are replaced: a test runner's or server's own hooks stay.
        if threading.excepthook is threading.__excepthook__:
            threading.excepthook = _log_uncaught_in_thread
        if sys.excepthook is sys.__excepthook__:
            sys.excepthook = _log_uncaught
        _configured = True


def get_logger(name: str) -> logging.Logger:
    """A logger under ``tokenwise`` that writes one JSON object a line to stdout."""
    configure()
    return logging.getLogger(f"tokenwise.{name}")
