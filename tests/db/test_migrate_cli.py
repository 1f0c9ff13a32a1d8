"""``python -m shared.db.migrate``: migrates the configured database, or says in one line why it cannot."""
from __future__ import annotations

import os
import subprocess
import sys

from infra.manifest import ROOT
from tests.support.migrations import alembic_head


def _migrate(env: dict, tmp_path) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "TOKENWISE_"))}
    return subprocess.run([sys.executable, "-m", "shared.db.migrate"], cwd=ROOT, capture_output=True, text=True,
                          env={**base, "TOKENWISE_DATA_DIR": str(tmp_path / "data"), **env}, timeout=120)


def test_migrates_the_default_sqlite_file(tmp_path):
    done = _migrate({"TOKENWISE_ENV": "development"}, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "migrated sqlite database to head"
    import sqlite3
    with sqlite3.connect(tmp_path / "data" / "tokenwise.db") as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchall() == [(alembic_head(),)]


def test_an_unusable_database_is_one_line_and_exit_status_1(tmp_path):
    done = _migrate({"TOKENWISE_ENV": "production"}, tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == "cannot migrate: DATABASE_URL is not set; production needs a PostgreSQL URL"
    assert not (tmp_path / "data").exists()
