"""The chat container's WSGI app: ``create_app()`` for gunicorn (see DEPLOY.md for the command).

Routes: ``WS /ws`` (alias ``/api/v1/websocket``), the threads API and
``POST /api/ws/ticket`` (``threads_api``), ``GET /health`` and ``/health/ready``
(also under ``/api/chat/``). The handshake is authenticated in
``before_request`` so a bad token is an HTTP 401 before any upgrade, and a
draining server answers 503. Every error is JSON, mapped in one place below.

Options: ``create_app(pipeline=None, settings=None)``: ``pipeline`` is a
callable or a ``"module:attribute"`` string (default: the supervisor
``execute``); ``settings`` default to ``ChatSettings.from_env()``.
"""
from __future__ import annotations

import importlib
import socket
import uuid

import flask
from flask_sock import Sock
from werkzeug.exceptions import HTTPException

from functions.chat import compat
from functions.chat.connection import Connection
from functions.chat.instance import ChatService
from functions.chat.runs import Pipeline
from functions.chat.settings import ChatSettings
from functions.chat.socket_auth import authenticate_socket
from functions.chat.threads_api import blueprint as threads_blueprint
from functions.chat.web import blueprint as web_blueprint
from shared import errors, health
from shared.auth import secret_check
from shared.http import error_response, json_response
from shared.logging import get_logger

log = get_logger("chat.app")

SERVICE = "chat"
SOCKET_PATHS = ("/ws", "/api/v1/websocket")
SESSION_ENDED = "tokenwise.chat.session_ended"
_WERKZEUG_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
                   415: "unsupported_media_type"}


def _selected_subprotocol() -> str | None:
    """The subprotocol ``socket_auth`` chose for this handshake (it may carry the token)."""
    identity = flask.g.get("socket_identity")
    return identity.subprotocol if identity is not None else None


class _EndWerkzeugSockets:
    """Keeps werkzeug from writing an HTTP response onto a socket that was a WebSocket.

    After a session, flask-sock hands werkzeug an empty response, which it writes
    as ``HTTP/1.1 200 OK`` right after our close frame, and werkzeug then reads the
    client's closing frame as a next (bad) HTTP request; clients see garbage
    instead of the close code. Shutting the socket down ends the exchange, and
    ``ConnectionAbortedError`` makes werkzeug write nothing. gunicorn is unaffected.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        response = self.wsgi_app(environ, start_response)
        if environ.get(SESSION_ENDED) and "werkzeug.socket" in environ:
            try:
                environ["werkzeug.socket"].shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client is already gone
            raise ConnectionAbortedError("the WebSocket session has ended")
        return response


def _load_pipeline(pipeline: Pipeline | str | None) -> Pipeline | None:
    if isinstance(pipeline, str):
        module, _, attribute = pipeline.partition(":")
        return getattr(importlib.import_module(module), attribute)
    return pipeline


def _register_errors(app: flask.Flask) -> None:
    @app.errorhandler(errors.Failure)
    def _http_error(err: errors.Failure):
        return error_response(err)

    @app.errorhandler(HTTPException)
    def _werkzeug_error(exc: HTTPException):
        status = exc.code or 500
        if status == 405:
            return error_response(errors.MethodNotAllowed(
                f"{flask.request.method} is not allowed on {flask.request.path}.",
                list(getattr(exc, "valid_methods", None) or [])))
        if status == 400 and flask.request.path in SOCKET_PATHS:
            return error_response(errors.BadRequest("This path takes a WebSocket upgrade.",
                                                    code="websocket_upgrade_required"))
        err = errors.Failure(exc.description or exc.name, code=_WERKZEUG_CODES.get(status, "http_error"))
        return error_response(err, status)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # a bug: logged loudly, answered with a clean 500
        request_id = uuid.uuid4().hex
        log.exception("unhandled error", extra={"fields": {"path": flask.request.path, "request_id": request_id}})
        return error_response(errors.Failure("An internal error occurred.", {"request_id": request_id}))


def _health(service: ChatService, ready: bool):
    checks = {
        "database": health.database_check,
        "outbox": service.outbox.status,
        "secret": secret_check,
        "accepting": lambda: ({"ok": False, "error": "shutting down"} if service.draining else {"ok": True}),
    }
    body = health.health_body(SERVICE, service.started, checks)
    body.update(connections=len(service.connections), active_runs=service.runs.active_runs())
    return json_response(body, health.status_code(body, ("secret", "accepting") if ready else ()))


def create_app(pipeline: Pipeline | str | None = None, settings: ChatSettings | None = None) -> flask.Flask:
    settings = settings or ChatSettings.from_env()
    service = ChatService(settings, _load_pipeline(pipeline))
    app = flask.Flask("tokenwise_chat", static_folder=None)
    app.extensions["tokenwise_chat"] = service
    app.config["SOCK_SERVER_OPTIONS"] = {
        "max_message_size": settings.max_frame_bytes,
        "ping_interval": settings.ping_interval_s or None,
        "subprotocols": compat.SubprotocolChoice(_selected_subprotocol),
    }
    _register_errors(app)

    @app.before_request
    def _authenticate_handshake():
        if flask.request.path not in SOCKET_PATHS:
            return None
        if service.draining:
            raise errors.ServiceUnavailable("The server is restarting; reconnect.", code="shutting_down",
                                            headers={"Retry-After": "1"})
        flask.g.socket_identity = authenticate_socket(flask.request)
        if not settings.ws_compression:
            # simple-websocket accepts whatever extension is offered; declining means hiding the offer.
            flask.request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
        return None

    sock = Sock(app)

    def chat_socket(ws):
        try:
            Connection(ws, flask.g.socket_identity, service).serve()
        finally:
            flask.request.environ[SESSION_ENDED] = True

    for path in SOCKET_PATHS:
        sock.route(path, endpoint=f"socket:{path}")(chat_socket)

    # Flask's documented way to wrap its WSGI app in middleware: replace the bound method.
    app.wsgi_app = _EndWerkzeugSockets(app.wsgi_app)  # type: ignore[method-assign]
    app.register_blueprint(threads_blueprint)
    app.register_blueprint(web_blueprint)
    for prefix in ("", "/api/chat"):
        app.add_url_rule(f"{prefix}/health", f"health:{prefix}", lambda: _health(service, ready=False))
        app.add_url_rule(f"{prefix}/health/ready", f"ready:{prefix}", lambda: _health(service, ready=True))
    return app
