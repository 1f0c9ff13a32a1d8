"""The health rules every unit shares (``shared.health``)."""
from __future__ import annotations

import time

import flask
import pytest

from shared import health
from shared.http import FunctionApp


def test_a_failing_check_degrades_health_and_readiness_only_when_required():
    checks = {"database": lambda: {"ok": False, "status": "degraded", "error": "down"},
              "secret": lambda: {"ok": True}}
    body = health.health_body("unit", time.monotonic(), checks)
    assert (body["status"], body["database_status"], body["reasons"]) == ("degraded", "degraded", {"database": "down"})
    assert health.status_code(body, ()) == 200
    assert health.status_code(body, ("secret",)) == 200
    assert health.status_code(body, ("secret", "database")) == 503


def test_a_check_that_crashes_is_a_failing_check():
    body = health.health_body("unit", time.monotonic(), {"boom": lambda: 1 / 0})
    assert body["checks"]["boom"] == {"ok": False, "error": "ZeroDivisionError: division by zero"}
    assert body["reasons"] == {"boom": "ZeroDivisionError: division by zero"}
    assert body["database_status"] == "not_used"


@pytest.mark.parametrize("path, status", [("/unit/health", 200), ("/unit/health/ready", 503)])
def test_a_function_app_answers_health_with_the_shared_rule(path, status):
    app = FunctionApp("unit", "/unit", checks={"database": lambda: {"ok": False, "error": "down"}},
                      required=("database",))
    with flask.Flask("t").test_request_context(path):
        response = app(flask.request)
    assert response.status_code == status
    assert response.get_json()["reasons"] == {"database": "down"}
