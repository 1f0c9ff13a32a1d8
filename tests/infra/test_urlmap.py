"""The URL map routes one host exactly as the local stack does, from the same manifest."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from infra import urlmap
from infra.local_stack import Dispatcher, Mounted
from infra.manifest import ROOT, Unit
from infra.steps import backend_name
from tests.support.fixture_manifest import FIXTURE_MANIFEST


def sample_paths(units: list[Unit]) -> list[str]:
    paths = ["/", "/health", "/health/ready", "/index.html", "/static/app.js", "/api", "/api/agents",
             "/api/unknown", "/authx", "/wsx", "/api/threadsx", "/api/agents/executex"]
    for unit in units:
        for prefix in unit.paths:
            base = prefix.rstrip("/")
            paths += [base or "/", base + "/", base + "/health", base + "/a/b"]
    return sorted(set(paths))


def test_every_unit_prefix_has_a_rule(units):
    doc = urlmap.document(units, "acme")
    rules = doc["pathMatchers"][0]["pathRules"]
    for unit in units:
        service = urlmap.backend_url("acme", unit)
        owned = [p for rule in rules if rule["service"] == service for p in rule["paths"]]
        for prefix in unit.paths:
            if prefix != "/":
                assert [prefix, prefix + "/*"] == [p for p in owned if p in (prefix, prefix + "/*")]


def test_routing_equals_the_local_stack(units):
    doc = urlmap.document(units, "acme")
    dispatcher = Dispatcher([Mounted(unit, None, "not loaded") for unit in units])
    for path in sample_paths(units):
        local = dispatcher.match(path)
        routed = urlmap.resolve(doc, path)
        if local is None:  # no unit owns "/": the local stack answers 404, the map its default
            assert routed == doc["defaultService"], path
        else:
            assert routed == urlmap.backend_url("acme", local.unit), path


def test_the_public_routes_of_the_final_bundle(fixture_units):
    doc = urlmap.document(fixture_units, "acme")
    expected = {
        "/auth/login": "auth", "/auth": "auth", "/api/agents/execute": "agents-execute",
        "/api/agents/triage/health": "agents-triage", "/api/agents/data": "agents-data",
        "/api/agents/optimization": "agents-optimization", "/api/usage/import": "usage", "/api/usage": "usage",
        "/api/threads": "chat", "/api/threads/t1/messages": "chat", "/api/ws/ticket": "chat", "/ws": "chat",
        "/api/v1/websocket": "chat", "/": "chat", "/health": "chat", "/authx": "chat",
    }
    for path, service in expected.items():
        assert urlmap.resolve(doc, path).endswith(f"/backendServices/tokenwise-{service}-backend"), path
    assert doc["defaultService"] == doc["pathMatchers"][0]["defaultService"]
    assert doc["hostRules"] == [{"hosts": ["*"], "pathMatcher": "tokenwise"}]
    assert doc["name"] == "tokenwise-urlmap"


def test_a_prefix_claimed_twice_is_refused(fixture_units):
    clash = Unit(**{**fixture_units[1].__dict__, "name": "usage2", "paths": ("/auth",)})
    with pytest.raises(ValueError, match="/auth is claimed by both auth and usage2"):
        urlmap.document([fixture_units[0], clash], "acme")


def test_default_without_a_root_owner_is_the_first_container_else_first_unit(fixture_units):
    no_root = [Unit(**{**u.__dict__, "paths": tuple(p for p in u.paths if p != "/")}) for u in fixture_units]
    assert urlmap.default_unit(no_root).name == "chat"
    assert urlmap.default_unit(no_root[:2]).name == "auth"


def test_cli_writes_the_import_file(tmp_path, fixture_units):
    out = tmp_path / "urlmap.yaml"
    subprocess.run([sys.executable, "-m", "infra.urlmap", "--project=acme", f"--output={out}",
                    f"--manifest={FIXTURE_MANIFEST}"], cwd=ROOT, check=True)
    assert json.loads(out.read_text()) == urlmap.document(fixture_units, "acme")
    assert backend_name(fixture_units[0]) == "tokenwise-auth-backend"
