"""A function served as in production, timed from its process start: ``functions-framework --target T --source S``.

``function_server(target, source, env)`` starts functions-framework (its production gunicorn) on a
free loopback port and yields a ``FunctionServer``; ``wait_ready(path)`` polls until the first 200
and returns the seconds since the process started. ``bench_environment(folder)`` is the environment
the function benchmarks share: development settings, a fresh migrated SQLite file in ``folder``, a
random ``JWT_SECRET``, the repository on ``PYTHONPATH``.
"""
from __future__ import annotations

import http.client
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.common import ROOT, cpu_seconds, free_port, server_process

FRAMEWORK = str(Path(sys.executable).with_name("functions-framework"))
HELLO_SOURCE = "bench/hello/main.py"  # the baseline: the smallest functions-framework function, ``hello``


@dataclass
class FunctionServer:
    name: str
    port: int
    started: float  # time.perf_counter() just before the process was started
    process: subprocess.Popen
    log: IO[bytes]

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, timeout_s: float = 30.0) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout_s)
        try:
            conn.request(method, path, body, headers or {})
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def wait_ready(self, path: str, method: str = "GET", body: bytes | None = None,
                   headers: dict[str, str] | None = None, timeout_s: float = 30.0) -> float:
        """Seconds from process start to the first 200 on ``path``."""
        deadline = self.started + timeout_s
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{self.name} exited: {self.log.read().decode(errors='replace')[-2000:]}")
            try:
                if self.request(method, path, body, headers, timeout_s=5)[0] == 200:
                    return time.perf_counter() - self.started
            except OSError:  # not listening yet
                time.sleep(0.002)
        raise RuntimeError(f"{self.name} did not answer 200 on {path} within {timeout_s} s")

    def cpu_s(self) -> float | None:
        """CPU seconds used so far by the server and its workers (None without ``/proc``)."""
        return cpu_seconds(self.process.pid)


@contextmanager
def function_server(target: str, source: str, env: dict[str, str], name: str | None = None) -> Iterator[FunctionServer]:
    port = free_port()
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        command = [FRAMEWORK, "--target", target, "--source", source, "--host", "127.0.0.1", "--port", str(port)]
        with server_process(command, env, stderr=log) as process:
            yield FunctionServer(name or target, port, started, process, log)


def bench_environment(folder: Path) -> dict[str, str]:
    """Development settings on a fresh, migrated SQLite file in ``folder``; the same for every function."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "TOKENWISE_DB_SCHEMA", "K_SERVICE", "THREADS", "WORKERS")}
    # The repository on the path lets a unit's own file be the source, as the local stack loads it.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update({"TOKENWISE_ENV": "development", "TOKENWISE_DATA_DIR": str(folder),
                "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                "JWT_SECRET": secrets.token_urlsafe(48), "LOG_LEVEL": "WARNING"})
    subprocess.run([sys.executable, "-m", "shared.db.migrate"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return env
