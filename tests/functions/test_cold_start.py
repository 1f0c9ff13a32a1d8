"""Cold start: a unit imports light, its first health probe loads the rest in the background, and the
first real request finds it loaded.

Each case runs in a fresh interpreter (the import state is the point): the unit is loaded as deployed,
through the root ``main.py`` by ``functions_framework.create_app``, and driven with Flask's test
client, on each backend (the query layer loads the backend's SQLAlchemy dialect too).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import datetime

import pytest

from infra import manifest
from infra.manifest import ROOT
from shared.auth import issue_access_token
from shared.db import transaction
from shared.db.schema import users
from tests.support.database import Database
from tests.support.identity import TEST_SECRET, unique_email

pytestmark = pytest.mark.slow

UNITS = manifest.functions()
# What no unit may pay for at import: the query layer, token and password libraries, any agent, the
# usage code. The health probe starts loading them; requests use them.
HEAVY = ("sqlalchemy", "pg8000", "jwt", "cryptography", "argon2", "alembic", "shared.db.engine",
         "shared.usage", "shared.auth.tokens", "shared.agents.triage", "shared.agents.data",
         "shared.agents.optimization", "shared.agents.report", "shared.agents.pipeline.execute")

SCRIPT = r"""
import json, sys, time
for name in json.loads(sys.argv[4]):
    sys.modules[name] = None  # a module that cannot load
import functions_framework
from shared import preload
unit, health, request = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
client = functions_framework.create_app(unit, "main.py").test_client()
imported = sorted(sys.modules)
first = client.get(health)
deadline = time.monotonic() + 120
while not preload._loads and time.monotonic() < deadline:
    time.sleep(0.01)
for loading in list(preload._loads.values()):  # the code, and the query layer
    loading.exception(timeout=120)
ready = client.get(health + "/ready")
before = set(sys.modules)
answer = client.open(request["path"], method=request["method"], json=request.get("json"),
                     headers=request["headers"])
print(json.dumps({"imported": imported, "first": first.json, "ready": [ready.status_code, ready.json],
                  "answer": [answer.status_code, answer.get_data(as_text=True)[:500]],
                  "request_imported": sorted(set(sys.modules) - before)}))
"""


def _account() -> str:
    """A users row in the active database, and an access token for it."""
    user_id, email = str(uuid.uuid4()), unique_email("cold")
    with transaction() as conn:
        conn.execute(users.insert().values(id=user_id, email=email, name=None, password_hash="x",
                                           created_at=datetime(2026, 1, 1)))
    return issue_access_token(user_id, email, uuid.uuid4().hex)[0]


def _main_request(unit: manifest.Unit, token: str) -> dict:
    bearer = {"Authorization": f"Bearer {token}"}
    if unit.name == "auth":
        return {"method": "POST", "path": "/auth/validate", "json": {"token": token}, "headers": {}}
    if unit.name == "usage":
        return {"method": "GET", "path": "/api/usage/summary", "headers": bearer}
    assert unit.name.startswith("agents_"), f"add the main request of {unit.name}"
    return {"method": "POST", "path": unit.paths[0], "json": {"message": "What did I spend last month?"},
            "headers": bearer}


def run_unit(unit: manifest.Unit, database: Database, tmp_path, broken: tuple[str, ...] = ()) -> dict:
    token = _account()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TOKENWISE_", "FUNCTION_"))}
    env.update(database.env())
    env.update(PYTHONPATH=str(ROOT), TOKENWISE_ENV="development",
               TOKENWISE_DATA_DIR=str(tmp_path), JWT_SECRET=TEST_SECRET, LOG_LEVEL="CRITICAL")
    done = subprocess.run([sys.executable, "-c", SCRIPT, unit.entry_point, unit.health,
                           json.dumps(_main_request(unit, token)), json.dumps(list(broken))],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _heavy(modules: list[str]) -> list[str]:
    return [name for name in modules if name.startswith(HEAVY) or name in HEAVY]


@pytest.mark.parametrize("unit", UNITS, ids=lambda unit: unit.name)
def test_the_first_health_probe_loads_what_the_first_request_needs(unit, database, tmp_path):
    seen = run_unit(unit, database, tmp_path)
    assert _heavy(seen["imported"]) == [], "importing the unit loaded what its health probe should load"
    assert seen["first"]["checks"]["code"] == {"ok": True, "status": "loading"}
    status, ready = seen["ready"]
    assert (status, ready["status"], ready["checks"]["code"]) == (200, "healthy", {"ok": True, "status": "loaded"})
    assert seen["answer"][0] == 200, seen["answer"]
    paid = _heavy(seen["request_imported"])
    assert paid == [], f"the first request imported what health could have loaded: {seen['request_imported']}"


def test_a_unit_whose_code_cannot_load_is_degraded_and_not_ready(sqlite_db, tmp_path):
    unit = next(unit for unit in UNITS if unit.name == "agents_execute")
    seen = run_unit(unit, sqlite_db, tmp_path, broken=("shared.agents.pipeline.execute",))
    reason = ("the agents' code cannot load: ModuleNotFoundError: "
              "import of shared.agents.pipeline.execute halted; None in sys.modules")
    status, ready = seen["ready"]
    assert status == 503
    assert ready["status"] == "degraded"
    assert ready["checks"]["code"] == {"ok": False, "status": "failed", "error": reason}
    assert ready["reasons"] == {"code": reason}
    assert ready["checks"]["database"]["ok"] is True
    assert seen["answer"][0] == 500
    assert json.loads(seen["answer"][1])["error"]["code"] == "internal_error"
