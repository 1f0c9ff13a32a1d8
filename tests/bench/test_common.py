"""The bench toolkit on real sockets and processes: ports, waiting, stopping, CPU time, percentiles."""
from __future__ import annotations

import math
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench import common


def test_a_free_port_refuses_connections_and_can_be_bound():
    port = common.free_port()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))


def test_wait_for_port_returns_once_something_listens():
    port = common.free_port()
    listener = socket.socket()

    def listen_later() -> None:
        time.sleep(0.3)
        listener.bind(("127.0.0.1", port))
        listener.listen()

    thread = threading.Thread(target=listen_later)
    thread.start()
    try:
        started = time.monotonic()
        common.wait_for_port(port, timeout_s=10)
        assert time.monotonic() - started >= 0.25
    finally:
        thread.join()
        listener.close()


def test_wait_for_port_fails_when_the_server_exits_first():
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    try:
        with pytest.raises(RuntimeError, match=r"exited with 3 before listening on port \d+"):
            common.wait_for_port(common.free_port(), process, timeout_s=20)
    finally:
        process.wait()


def test_wait_for_port_gives_up_after_its_timeout():
    port = common.free_port()
    started = time.monotonic()
    with pytest.raises(RuntimeError, match=f"nothing listens on port {port} after 0.3 s"):
        common.wait_for_port(port, timeout_s=0.3)
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("q, expected", [(0.5, 50), (0.95, 95), (0.99, 99), (0.07, 7), (1.0, 100),
                                         (0.001, 1)])
def test_percentile_is_the_nearest_rank(q, expected):
    values = [float(v) for v in range(100, 0, -1)]  # unsorted on purpose
    assert common.percentile(values, q) == expected


def test_percentile_of_few_or_no_values():
    assert common.percentile([4.0], 0.99) == 4.0
    assert common.percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.5) == 3.0
    assert math.isnan(common.percentile([], 0.5))


def test_pg_url_takes_the_given_url_then_the_environment_then_the_local_server(monkeypatch):
    monkeypatch.delenv("TOKENWISE_BENCH_PG_URL", raising=False)
    monkeypatch.delenv("TOKENWISE_TEST_PG_URL", raising=False)
    assert common.pg_url() == common.DEFAULT_PG_URL == "postgresql+pg8000://postgres@127.0.0.1:5432/test"
    monkeypatch.setenv("TOKENWISE_TEST_PG_URL", "postgresql+pg8000://t@127.0.0.1/t")
    assert common.pg_url() == "postgresql+pg8000://t@127.0.0.1/t"
    monkeypatch.setenv("TOKENWISE_BENCH_PG_URL", "postgresql+pg8000://b@127.0.0.1/b")
    assert common.pg_url() == "postgresql+pg8000://b@127.0.0.1/b"
    assert common.pg_url("postgresql+pg8000://g@127.0.0.1/g") == "postgresql+pg8000://g@127.0.0.1/g"


def test_a_server_process_is_stopped_and_reaped_when_the_block_fails():
    with pytest.raises(KeyError):
        with common.server_process([sys.executable, "-c", "import time; time.sleep(60)"]) as process:
            assert process.poll() is None
            raise KeyError("the bench failed")
    assert process.returncode == -15  # SIGTERM


def test_a_server_that_ignores_sigterm_is_killed_after_the_stop_timeout():
    script = ("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
              "print('ready', flush=True)\ntime.sleep(60)")
    started = time.monotonic()
    with common.server_process([sys.executable, "-c", script], stdout=subprocess.PIPE,
                               stop_timeout_s=0.5) as process:
        assert process.stdout.readline() == b"ready\n"
    process.stdout.close()
    assert process.returncode == -9  # SIGKILL
    assert time.monotonic() - started < 10


def test_cpu_seconds_counts_a_process_and_its_children():
    child = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\ntime.sleep(60)"
    parent = f"import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', {child!r}]); time.sleep(60)"
    with common.server_process([sys.executable, "-c", parent]) as process:
        deadline = time.monotonic() + 30
        used = common.cpu_seconds(process.pid)
        while (used or 0.0) < 0.4 and time.monotonic() < deadline:
            time.sleep(0.1)
            used = common.cpu_seconds(process.pid)
        assert used is not None and used >= 0.4  # the parent alone sleeps: the child's CPU is counted
        children = [int(c) for task in Path(f"/proc/{process.pid}/task").iterdir()
                    for c in (task / "children").read_text().split()]
    for pid in children:  # the child outlives its parent's SIGTERM: end it here
        os.kill(pid, signal.SIGTERM)
    assert common.cpu_seconds(process.pid) is None  # reaped: nothing left to count
