"""The embedded SQLite default: where it lives, threads writing at once, folders it cannot use."""
from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from sqlalchemy import text

from shared.db import (
    DatabaseUnavailable,
    backend,
    database_url,
    db_status,
    reset_engine,
    transaction,
)
from shared.db.migrate import upgrade
from tests.support.database import point_at


def test_the_default_url_is_a_file_in_the_data_dir_created_on_first_use(tmp_path):
    data = tmp_path / "not" / "yet" / "there"
    os.environ.pop("DATABASE_URL")
    os.environ["TOKENWISE_DATA_DIR"] = str(data)
    reset_engine()

    assert database_url() == f"sqlite:///{data / 'tokenwise.db'}"
    assert backend() == "sqlite"
    assert not data.exists(), "nothing is created before first use"

    with transaction() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    assert (data / "tokenwise.db").is_file()

    assert db_status()["status"] == "degraded"  # reachable, but not migrated yet
    upgrade()
    status = db_status()
    assert (status["status"], status["backend"], status["error"]) == ("connected", "sqlite", None)


def test_a_relative_data_dir_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.environ.pop("DATABASE_URL")
    os.environ["TOKENWISE_DATA_DIR"] = "rel-data"
    reset_engine()
    assert database_url() == f"sqlite:///{tmp_path / 'rel-data' / 'tokenwise.db'}"


def test_threads_writing_at_once_all_succeed(tmp_path):
    point_at(f"sqlite:///{tmp_path / 'busy.db'}")
    with transaction() as conn:
        conn.execute(text("CREATE TABLE hits (id INTEGER PRIMARY KEY, worker INTEGER, n INTEGER)"))
        conn.execute(text("CREATE TABLE totals (worker INTEGER PRIMARY KEY, n INTEGER)"))
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 15000
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1

    workers, rounds = 8, 40
    failures: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def work(worker: int) -> None:
        barrier.wait()
        try:
            for n in range(rounds):
                with transaction() as conn:  # a write transaction holding the lock for two statements
                    conn.execute(text("INSERT INTO hits (worker, n) VALUES (:w, :n)"), {"w": worker, "n": n})
                    conn.execute(text("INSERT INTO totals (worker, n) VALUES (:w, 1) "
                                      "ON CONFLICT(worker) DO UPDATE SET n = n + 1"), {"w": worker})
        except BaseException as exc:  # reported below with the others
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    with transaction() as conn:
        assert conn.execute(text("SELECT count(*) FROM hits")).scalar_one() == workers * rounds
        totals = dict(conn.execute(text("SELECT worker, n FROM totals")).all())
    assert totals == {w: rounds for w in range(workers)}


def _unusable_data_dirs(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    return {
        "under-a-file": (blocker / "data", "Not a directory"),
        "proc": (f"/proc/tokenwise-{uuid.uuid4().hex[:8]}/data", "No such file or directory"),
    }


@pytest.mark.parametrize("case", ["under-a-file", "proc"])
def test_a_data_dir_that_cannot_be_created_is_degraded_with_the_reason(case, tmp_path):
    data, cause = _unusable_data_dirs(tmp_path)[case]
    os.environ.pop("DATABASE_URL")
    os.environ["TOKENWISE_DATA_DIR"] = str(data)
    reset_engine()

    status = db_status()
    assert status["status"] == "degraded"
    assert status["error"].startswith(f"OperationalError: cannot create the folder {data} "
                                      "for the SQLite database")
    assert cause in status["error"]

    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction():
            pass
    assert caught.value.reason == status["error"]


def test_a_folder_that_appears_later_is_used_without_a_restart(tmp_path):
    blocker = tmp_path / "mount"
    blocker.write_text("the volume is not mounted yet")
    point_at(f"sqlite:///{blocker / 'tokenwise.db'}", DB_BACKOFF_MAX_S=0.2)
    with pytest.raises(DatabaseUnavailable):
        with transaction():
            pass

    blocker.unlink()
    blocker.mkdir()
    time.sleep(0.3)
    with transaction() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_a_read_only_database_file_is_unavailable_not_a_crash(tmp_path):
    path = tmp_path / "ro.db"
    point_at(f"sqlite:///{path}")
    with transaction() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    point_at(f"sqlite:///file:{path}?mode=ro&uri=true")
    with pytest.raises(DatabaseUnavailable) as caught:
        with transaction() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
    assert caught.value.reason.startswith("OperationalError: attempt to write a readonly database")
