"""``python -m infra.run_local``: migrate, the demo account and its records once, the login printed, then serve."""
from __future__ import annotations

import json
import signal

import requests
from sqlalchemy import func, select

from infra.run_local import prepare
from shared.db import transaction
from shared.db.schema import usage_records, users
from tests.stack.launcher import StackProcess, stack_env
from tests.stack.manifests import ECHO, ROOT_APP, write
from tests.support.identity import unique_email


def test_prepare_loads_the_demo_records_once(database):
    email = unique_email("demo")
    first = prepare(email, rows=300, days=7)
    second = prepare(email, rows=300, days=7)
    assert (first["user_created"], first["records_before"], first["records_loaded"]) == (True, 0, 300)
    assert (second["user_created"], second["records_before"], second["records_loaded"]) == (False, 300, 0)
    assert second["user_id"] == first["user_id"]
    with transaction() as conn:
        assert conn.execute(select(func.count()).select_from(users).where(users.c.email == email)).scalar_one() == 1
        stored = conn.execute(select(func.count()).select_from(usage_records)
                              .where(usage_records.c.user_id == first["user_id"])).scalar_one()
    assert stored == 300


def run_once(tmp_path, manifest) -> tuple[dict, list[str]]:
    stack = StackProcess("infra.run_local", ["--manifest", str(manifest), "--demo-rows", "250"],
                         stack_env(tmp_path), tmp_path).wait_ready()
    try:
        session = requests.Session()
        session.trust_env = False
        health = session.get(stack.base_url + "/health", timeout=10).json()
    finally:
        assert stack.stop(signal.SIGINT) == 0, stack.output()
    ready = next(json.loads(line) for line in stack.lines if '"database ready"' in line)
    assert health["units"] == {"echo": {"status": "loaded", "kind": "function"},
                               "root_app": {"status": "loaded", "kind": "container"}}
    return ready, stack.lines


def test_two_runs_migrate_seed_once_print_the_login_and_serve(tmp_path):
    manifest = write(tmp_path / "manifest.toml", [ECHO, ROOT_APP])
    first, lines = run_once(tmp_path, manifest)
    assert (first["user_created"], first["records_loaded"]) == (True, 250)
    assert "Demo login: demo@tokenwise.dev / spend-less-2026" in lines
    second, _ = run_once(tmp_path, manifest)  # same data dir, same SQLite file
    assert (second["user_created"], second["records_before"], second["records_loaded"]) == (False, 250, 0)
    assert second["user_id"] == first["user_id"]
    assert (tmp_path / "tokenwise.db").is_file()
