"""The whole bundle on one port, routed by the manifest's path prefixes: ``python -m infra.local_stack``.

Each function is loaded through functions-framework (``create_app(target, source)``)
from its own source file, and each container from its manifest ``entry_point``
(``module:factory()``, as gunicorn takes it), all in this process. They are
mounted at the manifest's prefixes, longest prefix first, without stripping
them: the same path map as the load balancer's, from the same manifest. A
unit that fails to load is contained: its paths answer 503
``unit_unavailable`` with the reason, the rest runs, and ``/health`` names it.
``/health`` is the health of the unit that owns it (the chat container) with a
``units`` map added. ``GET /openapi.json`` answers the OpenAPI document of the
mounted units (``infra.openapi``) before any unit is routed to, so the
description is served by the same process that serves the API. The server is
werkzeug's threaded one, which carries the
chat's WebSockets. A caller may add health checks of its own (``checks``, as
``infra.run_local`` does for the database setup): one that fails turns ``/health``
``degraded`` with its error under its name in ``reasons``. SIGINT (Ctrl-C) and SIGTERM drain the containers (the chat
closes its sockets with 1001) and stop the server.

Options: ``--host`` (127.0.0.1), ``--port`` (``PORT`` or 8080), ``--parity``
(each unit its own process behind a front proxy, see ``infra.parity``),
``--manifest`` (another manifest file, for tests).
"""
from __future__ import annotations

import argparse
import importlib
import json
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from infra import manifest
from infra.manifest import ROOT, Unit
from shared import config, errors

DEFAULT_PORT = 8080
HEALTH_PATH = "/health"
OPENAPI_PATH = "/openapi.json"


Checks = Mapping[str, Callable[[], dict]]  # name -> () -> {"ok": bool, "error": str}


@dataclass
class Mounted:
    unit: Unit
    app: Callable | None
    error: str | None


def _log(severity: str, message: str, **fields) -> None:
    print(json.dumps({"severity": severity, "message": message, "logger": "tokenwise.local_stack", **fields}),
          flush=True)


def container_app(entry_point: str) -> Callable:
    """The WSGI app a container's ``entry_point`` names: ``module:attribute`` or ``module:factory()``."""
    module_name, _, expression = entry_point.partition(":")
    call = expression.endswith("()")
    attribute = expression.removesuffix("()")
    if not module_name or not attribute.isidentifier():
        raise ValueError(f"entry point {entry_point!r} is not 'module:attribute' or 'module:factory()'")
    target = getattr(importlib.import_module(module_name), attribute)
    return target() if call else target


def load_unit(unit: Unit) -> Mounted:
    try:
        if unit.kind == "function":
            import functions_framework
            app = functions_framework.create_app(target=unit.entry_point, source=str(unit.source_path))
        else:
            app = container_app(unit.entry_point)
    except Exception as exc:  # contained and reported, never swallowed
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        _log("ERROR", f"unit {unit.name} failed to load", unit=unit.name, error=detail)
        return Mounted(unit, None, detail)
    return Mounted(unit, app, None)


def stack_health(body: dict, units: dict[str, dict], failed: dict[str, str], checks: Checks, started: float) -> dict:
    """The owning unit's health ``body`` with the stack's own state added: its units and its checks."""
    body.setdefault("uptime_s", round(time.monotonic() - started, 3))
    body["units"] = units
    reasons = {f"unit:{name}": error for name, error in failed.items()}
    for name, check in checks.items():
        result = check()
        if not result.get("ok"):
            reasons[name] = result.get("error") or "failing"
    if reasons:
        body["status"] = "degraded"
        body["reasons"] = {**body.get("reasons", {}), **reasons}
    if failed:
        body["failed_units"] = sorted(failed)
    return body


def _json(start_response, status: str, body: dict):
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def _call(app: Callable, environ: dict) -> tuple[str, list, bytes]:
    """Run a WSGI app to completion: ``(status, headers, body)``."""
    captured: dict = {}

    def start_response(status, headers, exc_info=None):
        captured.update(status=status, headers=headers)

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return captured["status"], captured["headers"], body


class Dispatcher:
    """WSGI app: longest matching path prefix wins; the path reaches the unit unchanged.

    ``root_app`` answers paths no unit owns (none does once a unit owns ``/``).
    """

    def __init__(self, mounted: list[Mounted], root_app: Callable | None = None, checks: Checks | None = None):
        self.mounted = mounted
        self.root_app = root_app
        self.checks = dict(checks or {})
        self.started = time.monotonic()
        self.routes = sorted(((p.rstrip("/"), m) for m in mounted for p in m.unit.paths),
                             key=lambda item: len(item[0]), reverse=True)
        self._openapi: bytes | None = None

    def match(self, path: str) -> Mounted | None:
        for prefix, mounted in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                return mounted
        return None

    def units(self) -> dict[str, dict]:
        return {m.unit.name: ({"status": "loaded", "kind": m.unit.kind} if m.app else
                              {"status": "failed", "kind": m.unit.kind, "error": m.error})
                for m in self.mounted}

    def health(self, base: dict | None = None) -> dict:
        """``base`` (the owning unit's health, else the stack's own) with the ``units`` map added."""
        units = self.units()
        failed = {name: unit["error"] for name, unit in units.items() if unit["status"] != "loaded"}
        body = dict(base) if base else {"status": "healthy", "service": "local-stack"}
        return stack_health(body, units, failed, self.checks, self.started)

    def _health(self, environ, start_response, owner: Mounted | None):
        if owner is None or owner.app is None:
            return _json(start_response, "200 OK", self.health())
        status, _headers, raw = _call(owner.app, environ)
        try:
            base = json.loads(raw)
        except ValueError:
            base = None
        if not isinstance(base, dict):  # not a health body: report it, do not pass it off as one
            base = {"status": "degraded", "service": owner.unit.name,
                    "reasons": {owner.unit.name: f"/health answered {status} without a JSON object"}}
        return _json(start_response, status, self.health(base))

    def openapi(self) -> bytes:
        """The OpenAPI document of the mounted units (a unit that failed to load is still described)."""
        if self._openapi is None:  # built on first request; the units never change afterwards
            from infra import openapi
            self._openapi = json.dumps(openapi.document([m.unit for m in self.mounted])).encode()
        return self._openapi

    def _openapi_response(self, environ, start_response):
        method = environ.get("REQUEST_METHOD", "GET")
        if method not in ("GET", "HEAD"):
            refusal = errors.MethodNotAllowed(f"{method} is not allowed on {OPENAPI_PATH}.", ["GET", "HEAD"])
            payload = json.dumps(refusal.body()).encode()
            start_response("405 Method Not Allowed", [("Content-Type", "application/json"), *refusal.headers.items(),
                                                      ("Content-Length", str(len(payload)))])
            return [payload]
        payload = self.openapi()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [b""] if method == "HEAD" else [payload]

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        if path == OPENAPI_PATH:
            return self._openapi_response(environ, start_response)
        mounted = self.match(path)
        if path == HEALTH_PATH:
            return self._health(environ, start_response, mounted)
        if mounted is not None:
            if mounted.app is None:
                return _json(start_response, "503 Service Unavailable", errors.ServiceUnavailable(
                    f"The {mounted.unit.name} unit failed to load.",
                    {"unit": mounted.unit.name, "reason": mounted.error}, code="unit_unavailable").body())
            return mounted.app(environ, start_response)
        if self.root_app is not None:
            return self.root_app(environ, start_response)
        return _json(start_response, "404 Not Found", errors.NotFound(f"No unit serves {path}.").body())

    def drain(self) -> None:
        """Let containers end their sessions cleanly (the chat: runs ``interrupted``, sockets closed with 1001)."""
        for mounted in self.mounted:
            service = getattr(mounted.app, "extensions", {}).get("tokenwise_chat") if mounted.app else None
            if service is not None:
                service.shutdown()


def build(units: list[Unit] | None = None, *, containers: bool = False, checks: Checks | None = None) -> Dispatcher:
    """Load every function of the manifest (and, with ``containers``, every container) and mount it."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    units = units if units is not None else manifest.load()
    chosen = [u for u in units if u.kind == "function" or (containers and u.kind == "container")]
    return Dispatcher([load_unit(unit) for unit in chosen], checks=checks)


def serve(app: Dispatcher, host: str, port: int, ready: Callable[[int], None] | None = None) -> int:
    """Serve until SIGINT or SIGTERM; then drain the containers and stop. Returns the exit status."""
    from werkzeug.serving import make_server

    from infra.request_log import QuietRequestHandler

    server = make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
    stopping = threading.Event()

    def stop(signum, _frame) -> None:
        if stopping.is_set():
            return
        stopping.set()
        _log("INFO", "stopping", signal=signal.Signals(signum).name)

        def drain_then_shutdown() -> None:
            try:
                app.drain()
            finally:
                server.shutdown()

        # shutdown() waits for serve_forever, which runs on this (the main) thread: never call it here
        threading.Thread(target=drain_then_shutdown, name="stack-stop", daemon=True).start()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if ready is not None:
        ready(server.server_port)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    _log("INFO", "stopped")
    return 0


def default_port() -> int:
    """``PORT`` (as Cloud Run and most hosts set it), else ``DEFAULT_PORT``."""
    return config.env_int("PORT", DEFAULT_PORT)


def main(argv: list[str] | None = None, checks: Checks | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=default_port())
    parser.add_argument("--parity", action="store_true", help="each unit as its own process")
    parser.add_argument("--manifest", type=Path, default=manifest.MANIFEST)
    args = parser.parse_args(argv)
    units = manifest.load(args.manifest)
    if args.parity:
        from infra import parity
        return parity.run(args.host, args.port, units, checks)
    app = build(units, containers=True, checks=checks)

    def announce(port: int) -> None:
        _log("INFO", f"local stack on http://{args.host}:{port}", url=f"http://{args.host}:{port}",
             port=port, units=app.units())

    return serve(app, args.host, args.port, announce)


if __name__ == "__main__":
    sys.exit(main())
