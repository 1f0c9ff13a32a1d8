"""Health bodies: ``{status, service, version, uptime_s, database_status, checks}``, and the readiness rule.

``/health`` is always 200 and says ``degraded`` with the failing checks;
``/health/ready`` is 503 when a check the unit requires is failing. This module
only computes: each server (``shared.http.FunctionApp``, the chat container)
turns the body and status into its own response, so health never imports a web
framework and any unit can use it.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from shared import __version__

Check = Callable[[], dict]


def database_check() -> dict:
    from shared.db import db_status
    status = db_status()
    return {**status, "ok": status["status"] == "connected"}


def loading_check(what: str, modules: tuple[str, ...]) -> Check:
    """A check that starts importing ``modules`` in the background on its first call (``shared.preload``).

    It passes while they load and once they have; it fails, naming the cause, if one cannot load:
    a unit whose code cannot import must not look ready.
    """
    def check() -> dict:
        from shared import preload
        loading = preload.load(modules)
        if not loading.done():
            return {"ok": True, "status": "loading"}
        failure = loading.exception()
        if failure is None:
            return {"ok": True, "status": "loaded"}
        return {"ok": False, "status": "failed",
                "error": f"{what} cannot load: {type(failure).__name__}: {failure}"}
    return check


def run_checks(checks: dict[str, Check]) -> dict[str, dict]:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check that crashes is itself the finding
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return results


def health_body(service: str, started: float, checks: dict[str, Check]) -> dict:
    results = run_checks(checks)
    failing = sorted(name for name, result in results.items() if not result.get("ok"))
    body = {
        "status": "degraded" if failing else "healthy",
        "service": service,
        "version": __version__,
        "uptime_s": round(time.monotonic() - started, 3),
        "database_status": results.get("database", {}).get("status", "not_used"),
        "checks": results,
    }
    if failing:
        body["reasons"] = {name: results[name].get("error") or "failing" for name in failing}
    return body


def status_code(body: dict, required: Iterable[str]) -> int:
    """503 while a ``required`` check of ``body`` fails, else 200: ``/health`` requires none."""
    return 503 if any(not body["checks"][name].get("ok") for name in required) else 200
