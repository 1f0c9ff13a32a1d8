"""The OpenAPI document: structurally OpenAPI 3, every unit's prefix present, errors in the one body,
and each documented route is one the code really serves, at the unit the URL map sends it to."""
from __future__ import annotations

import importlib
import json
import re
import subprocess
import sys

import pytest

from infra import openapi, urlmap
from infra.manifest import ROOT
from infra.openapi.paths import OPERATIONS
from tests.support.fixture_manifest import FIXTURE_MANIFEST

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
TYPES = {"object", "array", "string", "integer", "number", "boolean"}


def resolve(doc: dict, pointer: str) -> dict:
    assert pointer.startswith("#/"), pointer
    node = doc
    for part in pointer[2:].split("/"):
        node = node[part]
    return node


def refs(node) -> list[str]:
    if isinstance(node, dict):
        return ([node["$ref"]] if "$ref" in node else []) + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def schemas_in(node) -> list[dict]:
    """Every schema object under components.schemas, nested ones included."""
    found = []
    if isinstance(node, dict):
        if "type" in node or "properties" in node:
            found.append(node)
        for key in ("properties",):
            for value in node.get(key, {}).values():
                found += schemas_in(value)
        for key in ("items", "additionalProperties"):
            if isinstance(node.get(key), dict):
                found += schemas_in(node[key])
        for key in ("oneOf", "allOf", "anyOf"):
            for value in node.get(key, []):
                found += schemas_in(value)
    return found


def test_document_is_structurally_openapi_3(units):
    doc = openapi.document(units)
    assert re.fullmatch(r"3\.0\.\d", doc["openapi"])
    assert isinstance(doc["info"]["title"], str) and isinstance(doc["info"]["version"], str)
    assert set(doc) <= {"openapi", "info", "servers", "tags", "paths", "components"}
    op_ids = []
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        templated = set(re.findall(r"\{([a-z_]+)\}", path))
        assert set(item) <= METHODS, path
        for method, op in item.items():
            op_ids.append(op["operationId"])
            assert op["responses"], (path, method)
            for status, response in op["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d", status), status
                body = resolve(doc, response["$ref"]) if "$ref" in response else response
                assert isinstance(body["description"], str) and body["description"]
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == templated, (path, method)
            for param in op.get("parameters", []):
                assert param["in"] in ("query", "path", "header") and "schema" in param
                assert param["in"] != "path" or param["required"] is True
            for requirement in op.get("security", []):
                assert set(requirement) <= set(doc["components"]["securitySchemes"])
    assert len(op_ids) == len(set(op_ids)), "operationIds must be unique"
    for pointer in refs(doc):
        resolve(doc, pointer)  # every $ref points somewhere
    for name, schema in doc["components"]["schemas"].items():
        for sub in schemas_in(schema):
            if "type" in sub:
                assert sub["type"] in TYPES, name
            assert set(sub.get("required", [])) <= set(sub.get("properties", {})), name
            if sub.get("type") == "array":
                assert "items" in sub, name


def test_every_operation_id_is_a_name_and_the_web_page_has_its_own(units):
    doc = openapi.document(units)
    op_ids = {(path, method): op["operationId"] for path, item in doc["paths"].items() for method, op in item.items()}
    assert [(where, name) for where, name in op_ids.items() if not re.fullmatch(r"[a-z]+(_[a-z0-9]+)+", name)] == []
    assert op_ids[("/", "get")] == "get_chat_page"
    assert op_ids[("/api/threads/{thread_id}", "delete")] == "delete_api_threads_thread_id"


def test_an_operation_whose_path_names_nothing_must_be_named():
    from infra.openapi.paths import Operation, operation
    with pytest.raises(ValueError, match=r"GET / needs an operation_id"):
        operation(Operation("chat", "/", "get", "Nameless."))


def test_every_error_answer_is_the_one_error_body(units):
    doc = openapi.document(units)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if int(status) < 400:
                    continue
                body = resolve(doc, response["$ref"]) if "$ref" in response else response
                schema = body["content"]["application/json"]["schema"]
                expected = "#/components/schemas/Health" if path.endswith("/health/ready") else \
                    "#/components/schemas/Error"
                assert schema == {"$ref": expected}, (path, method, status)
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]


def test_every_unit_prefix_and_health_is_described(units):
    paths = openapi.document(units)["paths"]
    for unit in units:
        for prefix in unit.paths:
            assert any(p == prefix or p.startswith(prefix.rstrip("/") + "/") for p in paths), (unit.name, prefix)
        assert set(paths[unit.health]) == {"get"} and set(paths[unit.health + "/ready"]) == {"get"}


def test_each_operation_is_served_by_the_unit_the_url_map_routes_it_to(units):
    doc = openapi.document(units)
    routes = urlmap.document(units, "p")
    by_name = {u.name: u for u in units}
    for path, item in doc["paths"].items():
        concrete = re.sub(r"\{[a-z_]+\}", "x1", path)
        for op in item.values():
            assert urlmap.resolve(routes, concrete) == urlmap.backend_url("p", by_name[op["x-tokenwise-unit"]]), path


def test_units_not_in_the_manifest_are_left_out(fixture_units):
    only_auth = [u for u in fixture_units if u.name == "auth"]
    paths = openapi.document(only_auth)["paths"]
    assert sorted(paths) == ["/auth/health", "/auth/health/ready", "/auth/login", "/auth/logout", "/auth/me",
                             "/auth/refresh", "/auth/register", "/auth/validate"]
    full = openapi.document(fixture_units)["paths"]
    assert {"/api/usage/import", "/api/agents/execute", "/api/threads/{thread_id}/messages", "/api/ws/ticket",
            "/ws", "/api/v1/websocket", "/", "/health"} <= set(full)
    assert "text/event-stream" in full["/api/agents/execute"]["post"]["responses"]["200"]["content"]


def _werkzeug_rules(rule_map) -> set[tuple[str, str]]:
    found = set()
    for rule in rule_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.add((path, method.lower()))
    return found


FUNCTION_UNITS = ["auth", "usage", "agents_execute", "agents_triage", "agents_data", "agents_optimization"]


@pytest.mark.parametrize("name", FUNCTION_UNITS)
def test_documented_function_routes_are_the_ones_the_code_serves(fixture_units, name):
    """Re-checks the document against each function unit's real routes (werkzeug rules of its FunctionApp)."""
    unit = next(u for u in fixture_units if u.name == name)
    if not unit.source_path.is_file():
        pytest.skip(f"{unit.source} has not landed yet")
    try:
        module = importlib.import_module(unit.source.removesuffix(".py").replace("/", "."))
    except ModuleNotFoundError as exc:
        pytest.skip(f"{unit.source} imports a module that has not landed yet: {exc}")
    doc = openapi.document(fixture_units)
    documented = {(p, m) for p, item in doc["paths"].items() for m, op in item.items()
                  if op["x-tokenwise-unit"] == name}
    assert _werkzeug_rules(module.app.url_map) == documented


def test_documented_chat_routes_are_the_ones_the_chat_serves(fixture_units, tmp_path, monkeypatch):
    if not (ROOT / "functions" / "chat" / "app.py").is_file():
        pytest.skip("functions/chat/app.py has not landed yet")
    from functions.chat.app import create_app
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'chat.db'}")
    app = create_app()
    served = _werkzeug_rules(app.url_map)
    chat_ops = {(op.path, op.method) for op in OPERATIONS if op.unit == "chat"}
    health = {("/health", "get"), ("/health/ready", "get")}
    assert chat_ops - {("/", "get")} | health <= served
    undocumented = {(p, m) for p, m in served if not p.startswith("/api/chat/")} - chat_ops - health
    assert undocumented <= {("/", "get")}, undocumented


def test_cli_prints_the_document():
    out = subprocess.run([sys.executable, "-m", "infra.openapi", "--manifest", str(FIXTURE_MANIFEST)], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    from infra import manifest
    assert json.loads(out) == openapi.document(manifest.load(FIXTURE_MANIFEST))
