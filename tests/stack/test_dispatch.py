"""The in-process stack: routing by the manifest's prefixes, contained load failures, the merged /health."""
from __future__ import annotations

import pytest

from infra import local_stack
from infra.manifest import load
from tests.stack.manifests import (
    BROKEN,
    ECHO,
    ECHO_DEEP,
    MISSING_ROOT,
    ROOT_APP,
    container_unit,
)
from tests.support.fixture_manifest import FIXTURE_MANIFEST


def test_the_longest_prefix_wins_and_the_path_reaches_the_unit_unchanged(run_stack):
    stack = run_stack([ROOT_APP, ECHO, ECHO_DEEP])  # order in the manifest does not matter
    cases = {
        "/api/echo": ("echo", "/api/echo"),
        "/api/echo/": ("echo", "/api/echo/"),
        "/api/echo/x/y": ("echo", "/api/echo/x/y"),
        "/api/echo/deep": ("echo_deep", "/api/echo/deep"),
        "/api/echo/deep/z/1": ("echo_deep", "/api/echo/deep/z/1"),
        "/api/echo/deeper": ("echo", "/api/echo/deeper"),  # a prefix is whole path segments
        "/api/echoes": ("root_app", "/api/echoes"),
        "/api": ("root_app", "/api"),
        "/": ("root_app", "/"),
        "/index.html": ("root_app", "/index.html"),
    }
    for path, (unit, seen) in cases.items():
        response = stack.get(path)
        assert response.status_code == 200, path
        assert (response.json()["unit"], response.json()["path"]) == (unit, seen), path
    posted = stack.post("/api/echo/deep/items?page=2&sort=cost", data="hello", headers={"Content-Type": "text/plain"})
    assert posted.status_code == 200
    assert posted.json() == {"unit": "echo_deep", "path": "/api/echo/deep/items", "query": "page=2&sort=cost",
                             "method": "POST", "body": "hello"}


def test_health_is_the_root_units_health_with_a_units_map(run_stack):
    stack = run_stack([ECHO, ECHO_DEEP, ROOT_APP])
    response = stack.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["service"] == "root_app"
    assert body["units"] == {"echo": {"status": "loaded", "kind": "function"},
                             "echo_deep": {"status": "loaded", "kind": "function"},
                             "root_app": {"status": "loaded", "kind": "container"}}
    assert "failed_units" not in body and "reasons" not in body


def test_a_function_that_fails_to_load_answers_503_and_the_rest_runs(run_stack):
    stack = run_stack([ECHO, BROKEN, ROOT_APP])
    for method, path in (("GET", "/api/broken"), ("POST", "/api/broken/run"), ("GET", "/api/broken/health")):
        response = stack.http.request(method, stack.base_url + path, timeout=10)
        assert response.status_code == 503, path
        error = response.json()["error"]
        assert error["code"] == "unit_unavailable"
        assert error["details"]["unit"] == "broken"
        assert error["details"]["reason"] == "RuntimeError: broken on purpose: STACK_TEST_SETTING is missing"
    assert stack.get("/api/echo/ok").json() == {"unit": "echo", "path": "/api/echo/ok", "query": "",
                                                "method": "GET", "body": ""}
    assert stack.get("/elsewhere").json()["unit"] == "root_app"
    health = stack.get("/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded"
    assert body["failed_units"] == ["broken"]
    assert body["units"]["broken"] == {"status": "failed", "kind": "function",
                                       "error": "RuntimeError: broken on purpose: STACK_TEST_SETTING is missing"}
    assert body["units"]["echo"]["status"] == "loaded"
    assert body["reasons"] == {"unit:broken": "RuntimeError: broken on purpose: STACK_TEST_SETTING is missing"}


def test_a_container_that_fails_to_load_is_contained_too(run_stack):
    stack = run_stack([ECHO, MISSING_ROOT])
    response = stack.get("/some/page")
    assert response.status_code == 503
    error = response.json()["error"]
    assert (error["code"], error["details"]["unit"]) == ("unit_unavailable", "root_app")
    assert error["details"]["reason"] == "ModuleNotFoundError: No module named 'tests.stack.units.no_such_module'"
    assert stack.get("/api/echo").status_code == 200
    body = stack.get("/health").json()  # nobody left to own /health: the stack answers for itself
    assert (body["status"], body["service"], body["failed_units"]) == ("degraded", "local-stack", ["root_app"])


@pytest.mark.parametrize("entry_point, reason", [
    ("tests.stack.units.root_app", "ValueError: entry point 'tests.stack.units.root_app' is not "
                                   "'module:attribute' or 'module:factory()'"),
    ("tests.stack.units.root_app:make_app()", "AttributeError: module 'tests.stack.units.root_app' has no "
                                              "attribute 'make_app'"),
])
def test_a_container_entry_point_that_does_not_resolve_is_reported(entry_point, reason):
    mounted = local_stack.load_unit(container_unit("root_app", entry_point, ["/"]))
    assert (mounted.app, mounted.error) == (None, reason)


def test_the_final_bundle_loads_every_unit_in_one_process(sqlite_db):
    units = load(FIXTURE_MANIFEST)
    stack = local_stack.build(units, containers=True)
    try:
        assert {name: unit["status"] for name, unit in stack.units().items()} == \
               {unit.name: "loaded" for unit in units}
        assert stack.match("/ws").unit.name == "chat"
        assert stack.match("/api/agents/execute").unit.name == "agents_execute"
    finally:
        stack.drain()
