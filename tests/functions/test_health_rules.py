"""The health rules every unit shares (``shared.health``), and the background loading behind the ``code`` check."""
from __future__ import annotations

import time

import flask
import pytest

from shared import health, preload
from shared.http import FunctionApp


def _settled(check: health.Check) -> dict:
    deadline = time.monotonic() + 30
    result = check()
    while result.get("status") == "loading" and time.monotonic() < deadline:
        time.sleep(0.01)
        result = check()
    return result


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


def test_a_loading_check_passes_once_its_modules_have_loaded():
    check = health.loading_check("the test code", ("json", "shared.errors"))
    assert _settled(check) == {"ok": True, "status": "loaded"}


def test_a_loading_check_fails_with_the_reason_a_module_cannot_load():
    check = health.loading_check("the test code", ("json", "shared.no_such_module"))
    assert _settled(check) == {"ok": False, "status": "failed", "error": (
        "the test code cannot load: ModuleNotFoundError: No module named 'shared.no_such_module'")}


def test_modules_load_once_per_process():
    first = preload.load(("shared.errors", "shared.config"))
    assert preload.load(("shared.errors", "shared.config")) is first
    assert first.result(timeout=30) is None


@pytest.mark.parametrize("path, status", [("/unit/health", 200), ("/unit/health/ready", 503)])
def test_a_function_app_answers_health_with_the_shared_rule(path, status):
    app = FunctionApp("unit", "/unit", checks={"database": lambda: {"ok": False, "error": "down"}},
                      required=("database",))
    with flask.Flask("t").test_request_context(path):
        response = app(flask.request)
    assert response.status_code == status
    assert response.get_json()["reasons"] == {"database": "down"}
