"""Start the local stack as a real process, learn its port from its announcement, stop it, find its children."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from infra.manifest import ROOT
from tests.support.process_tree import descendants

ANNOUNCEMENT = "local stack on http://"
# Variables the test session sets for in-process tests; a stack process gets only what it is given.
SESSION_ONLY = ("JWT_SECRET", "DATABASE_URL", "TOKENWISE_DB_SCHEMA", "FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE",
                "PORT")


def stack_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SESSION_ONLY}
    env.update(TOKENWISE_ENV="development", TOKENWISE_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    env.update(overrides)
    return env


class StackProcess:
    """``python -m <module> --port 0 <args>``: its stdout is kept, its stderr goes to a file."""

    def __init__(self, module: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.stderr_path = log_dir / f"stack-{os.getpid()}-{time.monotonic_ns()}.stderr"
        self.lines: list[str] = []
        self.port: int | None = None
        self.announcement: dict | None = None
        self._announced = threading.Event()
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen([sys.executable, "-m", module, "--port", "0", *args], cwd=ROOT, env=env,
                                         stdout=subprocess.PIPE, stderr=stderr, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if ANNOUNCEMENT in line and self.port is None:
                self.announcement = json.loads(line)
                self.port = self.announcement["port"]
                self._announced.set()
        self._announced.set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def output(self) -> str:
        stderr = self.stderr_path.read_text(errors="replace")[-4000:] if self.stderr_path.exists() else ""
        return "stdout:\n" + "\n".join(self.lines[-40:]) + "\nstderr (tail):\n" + stderr

    def wait_ready(self, timeout_s: float = 90.0) -> StackProcess:
        if not self._announced.wait(timeout_s) or self.port is None:
            self.kill()
            raise RuntimeError(f"the stack did not announce its port within {timeout_s} s\n{self.output()}")
        return self

    def send(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout_s: float) -> int:
        return self.proc.wait(timeout=timeout_s)

    def stop(self, signum: int = signal.SIGTERM, timeout_s: float = 20.0) -> int:
        """Ask it to stop; kill it (and fail loudly) only when it does not."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
                raise RuntimeError(f"the stack ignored {signal.Signals(signum).name}\n{self.output()}") from None
        return self.proc.returncode

    def kill(self) -> None:
        for pid in [self.proc.pid, *descendants(self.proc.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)
