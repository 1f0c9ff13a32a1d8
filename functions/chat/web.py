"""The web page: ``GET /`` answers ``static/index.html`` and ``GET /static/<name>`` the page's files.

The page, its API and its socket share one origin, so every answer carries a
strict Content-Security-Policy (scripts, styles, images and connections only
from this origin, plus WebSockets; no inline script, no framing, no plugins).
Only plain file names directly in ``static/`` with a known type are served;
anything else is 404. Nothing is fingerprinted, so every file is ``no-cache``:
the browser revalidates with the ETag and gets a 304 when it is unchanged, and
a new deployment is seen at once. Options: none.
"""
from __future__ import annotations

import re
from pathlib import Path

import flask

from shared.errors import NotFound

STATIC_DIR = Path(__file__).resolve().parent / "static"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
FILE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\.(html|js|css|svg)")
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self' ws: wss:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}

blueprint = flask.Blueprint("chat_web", __name__)


def _serve(name: str) -> flask.Response:
    path = STATIC_DIR / name
    if not FILE_NAME.fullmatch(name) or not path.is_file():
        raise NotFound("There is no such file.", {"file": name[:100]})
    response = flask.send_file(path, conditional=True, etag=True, max_age=None)
    response.headers.update(SECURITY_HEADERS)
    response.headers["Content-Type"] = CONTENT_TYPES[path.suffix]  # exactly, without a second charset
    return response


@blueprint.get("/")
def index() -> flask.Response:
    return _serve("index.html")


@blueprint.get("/static/<path:name>")
def static_file(name: str) -> flask.Response:
    return _serve(name)
