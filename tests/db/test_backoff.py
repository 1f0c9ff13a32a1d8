"""After a failure the DB layer backs off (fails fast, no new connection) and tries again on schedule.

Connection attempts are counted where they land: at a proxy the test controls.
"""
from __future__ import annotations

import threading
import time
from itertools import pairwise

import pytest
from sqlalchemy import text

from shared.db import DatabaseUnavailable, db_status, transaction
from tests.support.database import point_at
from tests.support.proxy import DROP, FORWARD, SILENT

pytestmark = pytest.mark.postgres


def _select_one() -> int:
    with transaction() as conn:
        return conn.execute(text("SELECT 1")).scalar_one()


def _fails() -> DatabaseUnavailable:
    with pytest.raises(DatabaseUnavailable) as caught:
        _select_one()
    return caught.value


def test_fails_fast_without_new_attempts_inside_the_backoff_window(pg_db, proxies, pg_upstream):
    proxy = proxies(pg_upstream, mode=DROP)
    point_at(proxy.url_for(pg_db.url), DB_BACKOFF_MAX_S=5)

    first = _fails()
    assert proxy.accepted == 1
    assert first.reason.startswith("InterfaceError: ")

    started = time.monotonic()
    repeats = [_fails() for _ in range(20)]
    assert time.monotonic() - started < 0.25, "the first backoff window is 0.25 s"
    assert proxy.accepted == 1, "calls inside the backoff window must not reach the server"
    assert {err.reason for err in repeats} == {first.reason}

    status = db_status()
    assert (status["status"], status["error"]) == ("degraded", first.reason)
    assert proxy.accepted == 1, "health must not hammer the server either"


def test_attempts_are_spaced_by_a_growing_backoff_capped_by_the_maximum(pg_db, proxies, pg_upstream):
    proxy = proxies(pg_upstream, mode=DROP)
    point_at(proxy.url_for(pg_db.url), DB_BACKOFF_MAX_S=1.0)

    deadline = time.monotonic() + 3.2
    calls = 0
    while time.monotonic() < deadline:
        _fails()
        calls += 1
        time.sleep(0.002)

    # Pauses after failures 1, 2, 3, 4...: 0.25, 0.5, 1.0 (the cap), 1.0 ...
    gaps = [b - a for a, b in pairwise(proxy.accept_times)]
    assert calls > 300
    assert 3 <= proxy.accepted <= 5, proxy.accept_times
    for index, gap in enumerate(gaps):
        allowed = min(1.0, 0.25 * 2 ** index)
        assert gap >= allowed * 0.95, f"attempt {index + 2} came {gap:.3f}s after the previous one"

    proxy.mode = FORWARD
    recovered = time.monotonic() + 3.0
    while True:
        try:
            assert _select_one() == 1
            break
        except DatabaseUnavailable:
            assert time.monotonic() < recovered, "no recovery within one backoff window after the server came back"
            time.sleep(0.05)
    assert db_status()["status"] == "connected"


def test_only_one_caller_tries_the_server_when_the_window_ends(pg_db, proxies, pg_upstream):
    proxy = proxies(None, mode=SILENT)
    point_at(proxy.url_for(pg_db.url), DB_CONNECT_TIMEOUT_S=1, DB_BACKOFF_MAX_S=0.25)

    first = _fails()
    assert proxy.accepted == 1
    assert "no answer" in first.reason
    time.sleep(0.35)

    barrier = threading.Barrier(8)
    outcomes: list[BaseException | None] = []
    lock = threading.Lock()

    def call() -> None:
        barrier.wait()
        try:
            _select_one()
            outcome = None
        except BaseException as exc:  # recorded and asserted below
            outcome = exc
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [type(o).__name__ for o in outcomes] == ["DatabaseUnavailable"] * 8
    assert proxy.accepted == 2, "exactly one trial connection after the window, the others fail fast"


def test_a_connection_that_works_clears_the_failure_memory_even_if_the_work_fails(pg_db, proxies, pg_upstream):
    proxy = proxies(pg_upstream, mode=DROP)
    point_at(proxy.url_for(pg_db.url), DB_BACKOFF_MAX_S=5)
    for pause in (0.0, 0.3, 0.6):  # three failures: the next pause would be 2 s
        time.sleep(pause)
        _fails()
    assert proxy.accepted == 3

    time.sleep(1.1)
    proxy.mode = FORWARD
    with pytest.raises(LookupError):
        with transaction() as conn:
            conn.execute(text("SELECT 1"))
            raise LookupError("the caller's own error, after the server answered")

    proxy.mode = DROP
    proxy.kill_connections()
    _fails()
    assert proxy.accepted == 5
    time.sleep(0.3)
    _fails()
    assert proxy.accepted == 6, "after a recovery the backoff starts again from its shortest pause"


def test_a_saturated_pool_is_503_and_does_not_trip_the_backoff(pg_db):
    point_at(pg_db.url, DB_POOL_SIZE=1, DB_MAX_OVERFLOW=0, DB_POOL_TIMEOUT_S=0.3)
    with transaction() as held:
        held.execute(text("SELECT 1"))
        with pytest.raises(DatabaseUnavailable) as caught:
            _select_one()
    assert "busy" in caught.value.reason
    assert _select_one() == 1
    assert db_status()["status"] == "connected"
