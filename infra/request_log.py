"""Access logs for the local stack's werkzeug server: one JSON line per request, never the query string.

A WebSocket may be opened with a one-time ``?ticket=``; werkzeug's own log
prints the whole request line, so this handler logs the path alone and
redacts ``ticket=`` and ``token=`` values from error lines (which may quote a
malformed request line).
"""
from __future__ import annotations

import json
import re
import sys

from werkzeug.serving import WSGIRequestHandler

_SECRET_PARAM = re.compile(r"((?:ticket|token|access_token)=)[^&\s'\"]+", re.IGNORECASE)


def redact(text: str) -> str:
    return _SECRET_PARAM.sub(r"\1[redacted]", text)


class QuietRequestHandler(WSGIRequestHandler):
    def _write(self, severity: str, message: str, **fields) -> None:
        entry = {"severity": severity, "message": message, "logger": "tokenwise.local_stack.access", **fields}
        sys.stderr.write(json.dumps(entry) + "\n")

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = getattr(self, "path", "") or ""
        self._write("INFO", "request", method=getattr(self, "command", None), path=path.split("?", 1)[0],
                    status=str(code), size=str(size))

    def log_error(self, format: str, *args) -> None:
        self._write("WARNING", redact(format % args if args else format))

    def log_message(self, format: str, *args) -> None:
        self._write("INFO", redact(format % args if args else format))
