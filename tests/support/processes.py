"""Server processes that tests start: launch one, wait until it answers over HTTP, stop it.

``wait_for_http(url, process, timeout_s=30, interval_s=0.05, status=200, output=None)`` polls ``url``
until it answers with ``status`` (any status when ``status`` is None) and returns that answer's status
and body; it fails with the process's output when the process exits first or nothing fit in time.
``output`` reads what the process wrote (a log file, say); without it the process's own stdout or
stderr pipe is read once the process has exited. ``stop_process(process, grace_s=10)`` sends SIGTERM,
kills after ``grace_s`` and closes the process's pipes. ``serving(command, ready_url=..., cwd=..., env=...,
stdout=PIPE, stderr=STDOUT, timeout_s=30, interval_s=0.05, grace_s=10, output=None)`` does all three
around a ``with`` block. ``unit_env(database, tmp_path, **extra)`` is the environment of one
functions-framework unit on the test's database: the session's own unit variables left out.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.identity import TEST_SECRET

# Set by the test session for in-process units; a unit process gets its own from unit_env().
SESSION_UNIT_VARIABLES = ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE", "FUNCTION_SOURCE", "DATABASE_URL",
                          "TOKENWISE_DB_SCHEMA", "K_SERVICE")


def unit_env(database, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SESSION_UNIT_VARIABLES}
    env.update(database.env())
    env.update({"JWT_SECRET": TEST_SECRET, "TOKENWISE_DATA_DIR": str(tmp_path), "TOKENWISE_ENV": "development"})
    env.update(extra)
    return env


def _exited_output(process: subprocess.Popen) -> str:
    pipe = process.stdout or process.stderr
    if pipe is None:
        return ""
    text = pipe.read()
    return text.decode(errors="replace") if isinstance(text, bytes) else text


def wait_for_http(url: str, process: subprocess.Popen, *, timeout_s: float = 30.0, interval_s: float = 0.05,
                  status: int | None = 200, output: Callable[[], str] | None = None) -> tuple[int, str]:
    deadline = time.monotonic() + timeout_s
    last = "no answer yet"
    while True:
        if process.poll() is not None:
            said = output() if output is not None else _exited_output(process)
            raise AssertionError(f"{url}: the server exited with {process.returncode}:\n{said[-4000:]}")
        try:
            response = requests.get(url, timeout=5)
        except requests.RequestException as exc:  # not listening yet, or its first database probe is slow
            last = str(exc)
        else:
            if status is None or response.status_code == status:
                return response.status_code, response.text
            last = f"status {response.status_code}"
        if time.monotonic() > deadline:
            said = output()[-4000:] if output is not None else ""
            raise AssertionError(f"{url}: no ready answer within {timeout_s} s ({last})\n{said}")
        time.sleep(interval_s)


def stop_process(process: subprocess.Popen, grace_s: float = 10.0) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
    for pipe in (process.stdin, process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


@contextmanager
def serving(command: list[str], *, ready_url: str, cwd: Path | str, env: dict[str, str],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout_s: float = 30.0, interval_s: float = 0.05,
            grace_s: float = 10.0, output: Callable[[], str] | None = None) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout, stderr=stderr)
    try:
        wait_for_http(ready_url, process, timeout_s=timeout_s, interval_s=interval_s, output=output)
        yield process
    finally:
        stop_process(process, grace_s)

