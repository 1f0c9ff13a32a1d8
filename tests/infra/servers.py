"""Starting and stopping server processes in the deploy tests: free ports, health polling, clean stops."""
from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, deadline_s: float = 30) -> tuple[int, str]:
    """The first answer from ``url``; fails with the process's output if it exits or never answers."""
    end = time.monotonic() + deadline_s
    last = ""
    while time.monotonic() < end:
        if proc.poll() is not None:
            out = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
            raise AssertionError(f"server exited with {proc.returncode}: {out[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()
        except OSError as exc:
            last = str(exc)
            time.sleep(0.2)
    raise AssertionError(f"no answer from {url} within {deadline_s}s: {last}")


def stop(proc: subprocess.Popen, grace_s: float = 10) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    if proc.stdout:
        proc.stdout.close()
