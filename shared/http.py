"""A small router for one functions-framework entry point, with every error mapped to JSON here.

``FunctionApp(service, prefix)`` routes the real ``flask.Request`` that
functions-framework passes in by path and method (werkzeug's URL map), and
always answers JSON: handlers return a ``dict`` (200), a ``(dict, status)``
pair, or a ``flask.Response``. A ``Failure`` becomes the status ``STATUS`` gives its kind;
anything unexpected is logged with its stack and answered 500 ``internal_error``
(a bug, never hidden). Each app answers ``<prefix>/health`` and ``<prefix>/health/ready``.
"""
from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

import flask
from werkzeug.exceptions import MethodNotAllowed as _WzMethodNotAllowed
from werkzeug.exceptions import NotFound as _WzNotFound
from werkzeug.routing import Map, Rule

from shared import compat, errors, health
from shared.logging import get_logger

log = get_logger("http")

DEFAULT_MAX_BODY = 1 * 1024 * 1024

Handler = Callable[..., Any]
# What json.dumps(body, default=str) does, without building an encoder for every response.
_to_json = json.JSONEncoder(default=str).encode


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> flask.Response:
    # A ready content type: ``mimetype=`` would re-derive the same header on every response.
    return flask.Response(_to_json(body), status=status, headers=headers,
                          content_type="application/json")


# The one place a kind of failure becomes an HTTP status; a kind not listed inherits its parent's.
STATUS: dict[type[errors.Failure], int] = {
    errors.BadRequest: 400, errors.Unauthorized: 401, errors.Forbidden: 403, errors.NotFound: 404,
    errors.MethodNotAllowed: 405, errors.Conflict: 409, errors.PayloadTooLarge: 413,
    errors.UnsupportedMediaType: 415, errors.Unprocessable: 422, errors.TooManyRequests: 429,
    errors.ServiceUnavailable: 503,
}


def status_of(err: errors.Failure) -> int:
    return next((STATUS[kind] for kind in type(err).__mro__ if kind in STATUS), 500)


def error_response(err: errors.Failure, status: int | None = None) -> flask.Response:
    """``status`` only for an error the framework already classified (werkzeug's 404, 405, 431 ...)."""
    return json_response(err.body(), status or status_of(err), err.headers)


def json_body(request: flask.Request, max_bytes: int = DEFAULT_MAX_BODY) -> dict[str, Any]:
    """The request's JSON object, or the right 400/413/415/422."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise errors.UnsupportedMediaType(
            "Send a JSON body with Content-Type: application/json.",
            {"content_type": request.content_type or None})
    if request.content_length is not None and request.content_length > max_bytes:
        raise errors.PayloadTooLarge("The request body is too large.", {"max_bytes": max_bytes})
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise errors.PayloadTooLarge("The request body is too large.", {"max_bytes": max_bytes})
    try:
        body = json.loads(raw.decode("utf-8"))
    # Deep nesting recurses; an integer over 4,300 digits is a ValueError (Python's conversion limit).
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise errors.BadRequest("The request body is not valid JSON.", {"reason": str(exc)},
                                code="invalid_json") from None
    if not isinstance(body, dict):
        raise errors.BadRequest("The request body must be a JSON object.", code="invalid_json")
    return body


class FunctionApp:
    """Routes for one deployable unit.

    ``checks`` maps a check name to a callable returning ``{"status": "ok"|..., ...}``;
    ``required`` names the checks without which ``/health/ready`` answers 503.
    """

    def __init__(self, service: str, prefix: str, checks: dict[str, health.Check] | None = None,
                 required: tuple[str, ...] = ()):
        self.service = service
        self.prefix = prefix.rstrip("/")
        self.checks = checks or {}
        self.required = required
        self.started = time.monotonic()
        self.url_map = Map(strict_slashes=False, merge_slashes=False)
        self.handlers: dict[str, Handler] = {}
        # (path, method) -> handler for rules without variables: most requests are found here
        # without binding and walking the URL map; anything else goes through the map.
        self.exact: dict[tuple[str, str], Handler] = {}
        self.route("/health")(lambda request: self.health_response(required=()))
        self.route("/health/ready")(lambda request: self.health_response(required=self.required))

    def health_response(self, required: tuple[str, ...]) -> flask.Response:
        body = health.health_body(self.service, self.started, self.checks)
        return json_response(body, health.status_code(body, required))

    def route(self, rule: str, methods: tuple[str, ...] = ("GET",)) -> Callable[[Handler], Handler]:
        """Register ``handler(request, **url_args)`` for ``<prefix><rule>``."""
        def register(handler: Handler) -> Handler:
            endpoint = f"{handler.__name__}:{rule}:{','.join(methods)}"
            path = self.prefix + rule if rule != "/" or not self.prefix else self.prefix
            self.url_map.add(Rule(path, methods=list(methods), endpoint=endpoint))
            self.handlers[endpoint] = handler
            for method in methods if "<" not in path else ():
                self.exact.setdefault((path, method), handler)  # the map, too, keeps the first of twins
            return handler
        return register

    def __call__(self, request: flask.Request) -> flask.Response:
        environ = request.environ
        # 32 random hex digits. A correlation id, not a secret: the C generator needs no system call,
        # and a system call hands the interpreter lock to another request thread on every request.
        request_id = environ.get("HTTP_X_REQUEST_ID") or f"{random.getrandbits(128):032x}"
        try:
            # PATH_INFO is what the map matches too; a non-ASCII path never equals a rule here.
            handler = self.exact.get((environ.get("PATH_INFO", ""), request.method))
            if handler is not None:
                result = handler(request)
            else:
                endpoint, args = self.url_map.bind_to_environ(environ).match()
                result = self.handlers[endpoint](request, **args)
        except errors.Failure as err:
            response = error_response(err)
        except _WzNotFound:
            response = error_response(errors.NotFound(f"No route for {request.method} {request.path}."))
        except _WzMethodNotAllowed as exc:
            not_allowed = errors.MethodNotAllowed(f"{request.method} is not allowed on {request.path}.",
                                                  list(exc.valid_methods or []))
            response = error_response(not_allowed)
        except Exception:  # a bug: log it loudly, answer a clean 500
            log.exception("unhandled error", extra={"fields": {
                "service": self.service, "path": request.path, "method": request.method,
                "request_id": request_id}})
            response = error_response(errors.Failure("An internal error occurred.",
                                                       {"request_id": request_id}))
        else:
            response = self._to_response(result)
        response.headers["X-Request-Id"] = request_id
        # functions-framework reads whatever is left of the body into memory after every response
        # (request.get_data()); a refused or unread upload must not be buffered whole. Marking the
        # body as read leaves the rest to the server, which discards it in small reads.
        compat.mark_body_read(request)
        return response

    @staticmethod
    def _to_response(result: Any) -> flask.Response:
        if isinstance(result, flask.Response):
            return result
        if isinstance(result, tuple):
            body, status = result
            return json_response(body, status)
        return json_response(result)
