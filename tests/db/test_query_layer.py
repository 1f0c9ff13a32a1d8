"""Health probes the database without SQLAlchemy, and still says so when the query layer cannot load.

The auth unit runs in a fresh process (``unit_server.py``) on a migrated SQLite
file, with a folder first on ``PYTHONPATH`` that either hides SQLAlchemy (a
``sitecustomize`` that marks it missing) or shadows it with a package whose
import fails. The probe still reaches the database (it reports a latency), but
health turns ``degraded`` with the reason and ``/health/ready`` is 503.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests

from infra import manifest
from infra.manifest import ROOT
from shared.db.migrate import upgrade
from tests.db.test_import_guard import unit_process
from tests.support.database import point_at
from tests.support.identity import TEST_SECRET

pytestmark = pytest.mark.slow

MISSING = "the query layer cannot load: SQLAlchemy is not installed"
BROKEN = "the query layer cannot load: ImportError: a broken SQLAlchemy install"


def _hide_sqlalchemy(folder: Path) -> None:
    (folder / "sitecustomize.py").write_text('import sys\nsys.modules["sqlalchemy"] = None\n')


def _break_sqlalchemy(folder: Path) -> None:
    (folder / "sqlalchemy").mkdir()
    (folder / "sqlalchemy" / "__init__.py").write_text('raise ImportError("a broken SQLAlchemy install")\n')


@pytest.mark.parametrize("spoil, reason", [(_hide_sqlalchemy, MISSING), (_break_sqlalchemy, BROKEN)],
                         ids=["missing", "broken"])
def test_health_names_a_query_layer_that_cannot_load(spoil, reason, tmp_path):
    url = f"sqlite:///{tmp_path / 'tokenwise.db'}"
    point_at(url)
    upgrade()
    shadow = tmp_path / "shadow"
    shadow.mkdir()
    spoil(shadow)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TOKENWISE_", "FUNCTION_"))}
    env.update(PYTHONPATH=f"{shadow}{os.pathsep}{ROOT}", DATABASE_URL=url, TOKENWISE_ENV="development",
               TOKENWISE_DATA_DIR=str(tmp_path / "data"), JWT_SECRET=TEST_SECRET)
    auth = next(unit for unit in manifest.functions() if unit.name == "auth")

    with unit_process(auth, auth.source_path, env, tmp_path) as info:
        deadline = time.monotonic() + 20
        while True:  # the layer loads in the background after the first probe
            body = requests.get(f"{info['base']}/auth/health", timeout=10).json()
            if body["status"] == "degraded" or time.monotonic() > deadline:
                break
            assert body["checks"]["database"]["error"] is None
            time.sleep(0.1)
        ready = requests.get(f"{info['base']}/auth/health/ready", timeout=10)

    database = body["checks"]["database"]
    assert (body["status"], body["database_status"]) == ("degraded", "degraded"), body
    assert database["error"] == reason
    assert database["ok"] is False
    assert isinstance(database["latency_ms"], float), "the probe reached the database without SQLAlchemy"
    assert body["reasons"] == {"database": reason}
    assert ready.status_code == 503
    assert ready.json()["reasons"] == {"database": reason}
