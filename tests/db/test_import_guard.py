"""Every unit imports, starts and says why it is degraded, whatever ``DATABASE_URL`` holds.

Each case runs in a fresh process (``unit_server.py``): the unit is loaded
through ``functions_framework.create_app`` from its own source and from the
root ``main.py``, served over HTTP, and asked for ``<prefix>/health`` and
``<prefix>/health/ready``. A listener that accepts and never answers stands
in for a silent host and counts connections: importing must make none.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from infra.manifest import ROOT
from tests.db.units import DB_PROBES, function_units, prefix
from tests.support.identity import TEST_SECRET
from tests.support.migrations import not_migrated
from tests.support.ports import free_port as closed_port
from tests.support.proxy import SILENT, Proxy

pytestmark = pytest.mark.slow

SERVER = Path(__file__).with_name("unit_server.py")
IMPORT_BUDGET_S = 10.0  # an import-time connect to the silent host would block for DB_CONNECT_TIMEOUT_S=30


@dataclass(frozen=True)
class Case:
    name: str
    url: Callable[[Proxy], str | None]  # None: DATABASE_URL unset
    env: dict
    database_status: str
    reason: Callable[[Proxy], str]
    exact: bool = True  # False: ``reason`` is a prefix of the reported one


def _pg(port: int) -> str:
    return f"postgresql+pg8000://postgres@127.0.0.1:{port}/test"


CASES = [
    Case("unset-development", lambda silent: None, {"TOKENWISE_ENV": "development"}, "degraded",
         lambda silent: not_migrated()),
    Case("unset-production", lambda silent: None, {"TOKENWISE_ENV": "production"}, "not_configured",
         lambda silent: "DATABASE_URL is not set; production needs a PostgreSQL URL"),
    Case("not-a-url", lambda silent: "not a url", {}, "not_configured",
         lambda silent: "DATABASE_URL is not usable: it is not a database URL;"
                        " use postgresql+pg8000:// or sqlite://"),
    Case("mysql", lambda silent: "mysql://x", {}, "not_configured",
         lambda silent: "DATABASE_URL is not usable: unsupported database URL scheme"
                        " 'mysql'; use postgresql+pg8000:// or sqlite://"),
    Case("closed-port", lambda silent: _pg(silent.closed), {}, "degraded",
         lambda silent: f"InterfaceError: Can't create a connection to host 127.0.0.1 and port {silent.closed}",
         exact=False),
    Case("silent-host", lambda silent: _pg(silent.port), {}, "degraded",
         lambda silent: "no answer from the database within the status timeout"),
]

TARGETS = [(unit, source) for unit in function_units()
           for source in (unit.source_path, ROOT / "main.py")]


def _target_id(target) -> str:
    unit, source = target
    return unit.name if source != ROOT / "main.py" else f"{unit.name}-via-root-main"


@pytest.fixture
def silent():
    listener = Proxy(None, mode=SILENT)
    listener.closed = closed_port()
    yield listener
    listener.close()


def _environment(tmp_path: Path, url: str | None, extra: dict) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "TOKENWISE_", "FUNCTION_", "DB_", "K_SERVICE"))}
    env.update(PYTHONPATH=str(ROOT), TOKENWISE_ENV="development", TOKENWISE_DATA_DIR=str(tmp_path / "data"),
               JWT_SECRET=TEST_SECRET, DB_CONNECT_TIMEOUT_S="30")
    env.update(extra)
    if url is not None:
        env["DATABASE_URL"] = url
    return env


@contextmanager
def unit_process(unit, source: Path, env: dict, tmp_path: Path, import_all: bool = False) -> Iterator[dict]:
    ready = tmp_path / f"ready-{unit.name}.json"
    log = tmp_path / f"{unit.name}.log"
    command = [sys.executable, str(SERVER), unit.entry_point, str(source), str(ready)]
    if import_all:
        command.append("--import-all")
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdin=subprocess.PIPE,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert process.poll() is None, f"the unit process exited:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"the unit never started:\n{log.read_text()}"
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        info["base"] = f"http://127.0.0.1:{info['port']}"
        yield info
    finally:
        process.stdin.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.parametrize("target", TARGETS, ids=_target_id)
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_unit_imports_starts_and_reports_why(case, target, silent, tmp_path):
    unit, source = target
    env = _environment(tmp_path, case.url(silent), case.env)
    with unit_process(unit, source, env, tmp_path) as info:
        assert info["create_app_s"] < IMPORT_BUDGET_S
        assert silent.accepted == 0, "loading the unit connected to the database"

        started = time.monotonic()
        response = requests.get(f"{info['base']}{prefix(unit)}/health", timeout=30)
        health_s = time.monotonic() - started
        assert response.status_code == 200, response.text
        body = response.json()
        ready = requests.get(f"{info['base']}{prefix(unit)}/health/ready", timeout=30)

    # The probe gives up after DB_STATUS_TIMEOUT_S (1.5 s), far below the 30 s connect timeout set here;
    # the margin covers the first request's lazy imports on a loaded machine.
    assert health_s < 5.0, "health must answer within the status timeout, not the connect timeout"
    if not unit.needs_database:
        assert "database" not in body.get("reasons", {}), body
        return
    assert body["status"] == "degraded", body
    assert body["service"] == unit.name
    assert body["database_status"] == case.database_status
    database = body["checks"]["database"]
    assert database["status"] == case.database_status
    assert database["ok"] is False
    expected = case.reason(silent)
    if case.exact:
        assert database["error"] == expected
    else:
        assert database["error"].startswith(expected), database["error"]
    assert body["reasons"]["database"] == database["error"]
    assert ready.status_code == (503 if DB_PROBES[unit.name].ready_needs_database else 200)
    assert ready.json()["reasons"]["database"] == database["error"]
    if case.name == "silent-host":
        assert silent.accepted == 1, "health probes the database once"
    if case.name == "unset-production":
        assert not (tmp_path / "data" / "tokenwise.db").exists()


@pytest.mark.parametrize("target", TARGETS, ids=_target_id)
def test_importing_every_module_never_connects(target, silent, tmp_path):
    unit, source = target
    env = _environment(tmp_path, _pg(silent.port), {})
    with unit_process(unit, source, env, tmp_path, import_all=True) as info:
        assert silent.accepted == 0, "an import connected to the database"
        assert {"shared.db.engine", "shared.db.migrate", "shared.health", "shared.http",
                ".".join(Path(unit.source).with_suffix("").parts)} <= set(info["imported"])
        requests.get(f"{info['base']}{prefix(unit)}/health", timeout=30)
        if unit.needs_database:
            assert silent.accepted == 1, "the listener counts the first real use"
