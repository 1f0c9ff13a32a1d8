"""Every unit that needs the database: healthy, then a real outage (503, degraded), then recovery by itself.

The unit runs through functions-framework on a real HTTP server in this
process and reaches the test PostgreSQL schema through a proxy the test cuts
and restores. No restart happens in between.
"""
from __future__ import annotations

import time

import functions_framework
import pytest
import requests

from tests.db.units import DB_PROBES, Probe, database_units, prefix
from tests.support.database import point_at

RECOVERY_DEADLINE_S = 10.0


def test_every_database_unit_has_a_probe():
    missing = [unit.name for unit in database_units() if unit.name not in DB_PROBES]
    assert missing == [], f"add a DB_PROBES entry in tests/db/units.py for {missing}"


def _call(base: str, probe: Probe, context: dict) -> requests.Response:
    return requests.request(probe.method, base + probe.path, json=probe.body(context),
                            headers=probe.headers(context), timeout=30)


def _assert_works(base: str, probe: Probe, context: dict) -> None:
    response = _call(base, probe, context)
    assert response.status_code == probe.ok_status, response.text
    if probe.ok_code is not None:
        assert response.json()["error"]["code"] == probe.ok_code


def _health(base: str, unit) -> dict:
    response = requests.get(f"{base}{prefix(unit)}/health", timeout=10)
    assert response.status_code == 200
    return response.json()


def _ready_status(base: str, unit) -> int:
    return requests.get(f"{base}{prefix(unit)}/health/ready", timeout=10).status_code


@pytest.mark.postgres
@pytest.mark.parametrize("unit", database_units(), ids=lambda unit: unit.name)
def test_outage_is_visible_and_recovery_needs_no_restart(unit, pg_db, proxies, pg_upstream, serve):
    probe = DB_PROBES[unit.name]
    proxy = proxies(pg_upstream)
    point_at(proxy.url_for(pg_db.url), DB_BACKOFF_MAX_S=0.5, DB_CONNECT_TIMEOUT_S=2)
    app = functions_framework.create_app(target=unit.entry_point, source=str(unit.source_path))

    with serve(app) as base:
        health = _health(base, unit)
        assert (health["status"], health["database_status"]) == ("healthy", "connected"), health
        assert health["service"] == unit.name
        assert _ready_status(base, unit) == 200
        context = probe.setup(base)
        _assert_works(base, probe, context)

        proxy.cut()
        health = _health(base, unit)
        assert (health["status"], health["database_status"]) == ("degraded", "degraded"), health
        reason = health["checks"]["database"]["error"]
        assert reason.startswith(f"InterfaceError: Can't create a connection to host 127.0.0.1 and port {proxy.port}")
        assert health["reasons"]["database"] == reason
        assert _ready_status(base, unit) == (503 if probe.ready_needs_database else 200)

        response = _call(base, probe, context)
        assert response.status_code == probe.down_status, response.text
        assert probe.down_check(response.json()), response.text
        if probe.down_status == 503:
            assert response.json()["error"]["details"]["reason"].startswith("InterfaceError: ")

        proxy.restore()
        deadline = time.monotonic() + RECOVERY_DEADLINE_S
        while (health := _health(base, unit))["status"] != "healthy":
            assert time.monotonic() < deadline, f"still {health} {RECOVERY_DEADLINE_S}s after the database returned"
            time.sleep(0.1)
        assert health["database_status"] == "connected"
        assert _ready_status(base, unit) == 200
        _assert_works(base, probe, context)
