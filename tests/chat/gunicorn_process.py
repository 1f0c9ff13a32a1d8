"""The chat under the production command (gunicorn, gevent worker) as a process a test starts and stops."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.chat.tcp_proxy import free_port

REPO = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")


class GunicornChat:
    def __init__(self, env: dict[str, str], pipeline: str, worker_connections: int = 200):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile("w+", prefix="chat-gunicorn-", suffix=".log", delete=False)
        command = [str(GUNICORN), "-c", "functions/chat/gunicorn.conf.py", "-b", f"127.0.0.1:{self.port}",
                   "--worker-connections", str(worker_connections),
                   f"functions.chat.app:create_app(pipeline={pipeline!r})"]
        self.process = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env, "PYTHONPATH": str(REPO)},
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_ready()

    def ws_url(self, path: str = "/ws") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(self.url + "/health", timeout=5).status_code == 200:
                    return
            except requests.RequestException:  # not listening yet, or its first database probe is slow
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not get ready:\n{self.output()}")

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text()
