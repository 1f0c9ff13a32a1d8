"""The chat under the production command (gunicorn, gevent worker) as a process a test starts and stops."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.ports import free_port
from tests.support.processes import stop_process, wait_for_http

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
        try:
            wait_for_http(self.url + "/health", self.process, timeout_s=timeout, interval_s=0.1, output=self.output)
        except AssertionError:
            self.stop()
            raise

    def terminate(self) -> None:
        self.process.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        stop_process(self.process, grace_s=15)
        self.log.close()

    def output(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log.name).read_text()
