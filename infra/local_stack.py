"""The whole bundle on one port, routed by the manifest's path prefixes: ``python -m infra.local_stack``.

Each function is loaded through functions-framework (``create_app(target, source)``)
from its own source file and mounted at its prefixes, without stripping them,
exactly as the load balancer's URL map routes them in the cloud. A unit that
fails to load is contained: its paths answer 503 ``unit_unavailable`` with the
reason, the rest runs, and ``/health`` names it.

Options: ``--host`` (127.0.0.1), ``--port`` (``PORT`` or 8080).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from infra import manifest
from infra.manifest import ROOT, Unit


@dataclass
class Mounted:
    unit: Unit
    app: Callable | None
    error: str | None


def load_unit(unit: Unit) -> Mounted:
    import functions_framework
    try:
        app = functions_framework.create_app(target=unit.entry_point, source=str(unit.source_path))
    except Exception as exc:  # contained and reported, never swallowed
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        print(json.dumps({"severity": "ERROR", "message": f"unit {unit.name} failed to load",
                          "unit": unit.name, "error": detail}), flush=True)
        return Mounted(unit, None, detail)
    return Mounted(unit, app, None)


def _json(start_response, status: str, body: dict):
    payload = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


class Dispatcher:
    """WSGI app: longest matching path prefix wins; the path reaches the unit unchanged."""

    def __init__(self, mounted: list[Mounted], root_app: Callable | None = None):
        self.mounted = mounted
        self.root_app = root_app
        self.started = time.monotonic()
        self.routes = sorted(((p.rstrip("/"), m) for m in mounted for p in m.unit.paths),
                             key=lambda item: len(item[0]), reverse=True)

    def match(self, path: str) -> Mounted | None:
        for prefix, mounted in self.routes:
            if path == prefix or path.startswith(prefix + "/"):
                return mounted
        return None

    def health(self) -> dict:
        units = {m.unit.name: ({"status": "loaded"} if m.app else {"status": "failed", "error": m.error})
                 for m in self.mounted}
        failed = [name for name, u in units.items() if u["status"] != "loaded"]
        return {"status": "degraded" if failed else "healthy", "service": "local-stack",
                "uptime_s": round(time.monotonic() - self.started, 3), "units": units,
                **({"reasons": {n: units[n]["error"] for n in failed}} if failed else {})}

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "") or "/"
        mounted = self.match(path)
        if mounted is not None:
            if mounted.app is None:
                return _json(start_response, "503 Service Unavailable", {"error": {
                    "code": "unit_unavailable", "message": f"The {mounted.unit.name} unit failed to load.",
                    "details": {"unit": mounted.unit.name, "reason": mounted.error}}})
            return mounted.app(environ, start_response)
        if self.root_app is not None:
            return self.root_app(environ, start_response)
        if path in ("/health", "/health/"):
            return _json(start_response, "200 OK", self.health())
        return _json(start_response, "404 Not Found", {"error": {
            "code": "not_found", "message": f"No unit serves {path}.", "details": {}}})


def build(units: list[Unit] | None = None) -> Dispatcher:
    """Load every function of the manifest and mount it; the repo root goes on ``sys.path``."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    units = manifest.functions(units)
    return Dispatcher([load_unit(unit) for unit in units])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", 8080)))
    args = parser.parse_args(argv)
    from werkzeug.serving import run_simple
    app = build()
    print(json.dumps({"severity": "INFO", "message": f"local stack on http://{args.host}:{args.port}",
                      "units": app.health()["units"]}), flush=True)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
