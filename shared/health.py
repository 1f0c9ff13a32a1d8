"""Health bodies: ``{status, service, version, uptime_s, database_status, checks}``.

``/health`` is always 200 and says ``degraded`` with the failing checks;
``/health/ready`` is 503 when a check the unit requires is failing.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from shared import __version__

if TYPE_CHECKING:
    from shared.http import FunctionApp


def database_check() -> dict:
    from shared.db import db_status
    status = db_status()
    return {**status, "ok": status["status"] == "connected"}


def run_checks(checks: dict) -> dict[str, dict]:
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as exc:  # a check that crashes is itself the finding
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    return results


def health_body(service: str, started: float, checks: dict) -> dict:
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


def health_response(app: "FunctionApp", ready: bool):
    from shared.http import json_response
    body = health_body(app.service, app.started, app.checks)
    status = 200
    if ready and any(not body["checks"][name].get("ok") for name in app.required):
        status = 503
    return json_response(body, status)
