"""Contract cases of every unit's health: healthy and degraded bodies, ready and not ready."""
from __future__ import annotations

from infra import manifest
from infra.openapi.paths import ALWAYS_READY
from tests.openapi.cases import case
from tests.support.contract_api import Api

UNITS = manifest.load()


def _register(unit: manifest.Unit) -> None:
    health, ready = unit.health, unit.health + "/ready"

    @case("get", health, 200)
    def healthy(api: Api):
        body = api.call("GET", health, 200).json()
        assert (body["status"], body["database_status"]) == ("healthy", "connected"), body
        assert "reasons" not in body

    @case("get", health, 200)
    def degraded_without_the_database(api: Api):
        with api.database_down():
            body = api.call("GET", health, 200).json()
        assert body["status"] == "degraded" and "database" in body["reasons"], body

    @case("get", ready, 200)
    def ready_to_serve(api: Api):
        assert api.call("GET", ready, 200).json()["status"] == "healthy"

    if unit.name in ALWAYS_READY:
        @case("get", ready, 200)
        def ready_even_without_the_database(api: Api):
            with api.database_down():
                body = api.call("GET", ready, 200).json()
            assert body["status"] == "degraded" and body["checks"]["database"]["ok"] is False
    elif unit.kind == "function":
        @case("get", ready, 503)
        def not_ready_without_the_database(api: Api):
            with api.database_down():
                body = api.call("GET", ready, 503).json()
            assert body["checks"]["database"]["ok"] is False
    else:  # the chat keeps serving without its database (history waits); it needs its signing key
        @case("get", ready, 503)
        def not_ready_without_a_signing_key(api: Api):
            with api.production_without_secret():
                body = api.call("GET", ready, 503).json()
            assert body["checks"]["secret"] == {"ok": False, "error": "JWT_SECRET is not set"}


for _unit in UNITS:
    _register(_unit)


@case("get", "/health", 200)
def stack_health_names_every_unit(api: Api):
    body = api.call("GET", "/health", 200).json()
    assert body["service"] == "chat"
    assert body["units"] == {unit.name: {"status": "loaded", "kind": unit.kind} for unit in UNITS}
