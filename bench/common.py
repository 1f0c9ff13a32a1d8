"""What every benchmark needs: loopback ports, server processes, their CPU time, percentiles, PostgreSQL.

Standard library only, and nothing from the product or the tests: any bench module can use it,
and it can be tested alone.
"""
from __future__ import annotations

import math
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG_URL = "postgresql+pg8000://postgres@127.0.0.1:5432/test"

Output = int | IO | None  # what subprocess.Popen takes for stdout and stderr


def free_port() -> int:
    """A loopback port nothing listens on (bound once, then released for a server to take)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout_s: float = 30.0) -> None:
    """Return once something accepts connections on the loopback ``port``; fail if ``process`` exits first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before listening on port {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout_s} s")


def percentile(values: Sequence[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of ``values``: always one of them; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = math.ceil(q * len(ordered) - 1e-9)  # 0.07 * 100 is 7.000000000000001, still rank 7
    return ordered[min(len(ordered), max(1, rank)) - 1]


def pg_url(given: str | None = None) -> str:
    """The PostgreSQL to bench on: ``given``, else ``TOKENWISE_BENCH_PG_URL``, ``TOKENWISE_TEST_PG_URL``,
    else the local server."""
    return (given or os.environ.get("TOKENWISE_BENCH_PG_URL") or os.environ.get("TOKENWISE_TEST_PG_URL")
            or DEFAULT_PG_URL)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process and its descendants (gunicorn's workers are children);
    ``None`` without Linux ``/proc``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending, seen = 0.0, [pid], False
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = [child for task in Path(f"/proc/{current}/task").iterdir()
                        for child in (task / "children").read_text().split()]
        except OSError:  # the process ended meanwhile
            continue
        seen = True
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        pending.extend(int(child) for child in children)
    return total if seen else None


def stop_process(process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout_s``; reaps it either way."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def server_process(command: Sequence[str], env: dict[str, str] | None = None, *, cwd: Path = ROOT,
                   stdout: Output = subprocess.DEVNULL, stderr: Output = subprocess.DEVNULL,
                   stop_timeout_s: float = 10.0) -> Iterator[subprocess.Popen]:
    """``command`` running in ``cwd`` for the block, stopped (and reaped) when it ends however it ends."""
    process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=stdout, stderr=stderr)
    try:
        yield process
    finally:
        stop_process(process, stop_timeout_s)
