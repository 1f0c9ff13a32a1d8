"""A server process writes JSON lines only, even when SQLAlchemy's pool drops connections a restart closed.

The auth unit runs in a fresh process (``unit_server.py``) on the test PostgreSQL schema through a
proxy. After a login has left connections in the pool, the proxy is stopped and started again (the
server restarting, seen from the client): the next login finds dead pooled connections, which the
pool invalidates and logs with their traceback. Everything the process wrote to stdout and stderr
must parse as JSON, one object a line, the traceback in ``stack_trace``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import requests

from infra import manifest
from tests.db.test_import_guard import unit_process
from tests.support.identity import TEST_SECRET, unique_email

# A process that logs through shared.logging, then warns, loses a thread to an exception and dies of one.
MISHAPS = """
import logging, threading, warnings
from shared.logging import get_logger
get_logger("mishaps").info("started")
logging.getLogger("sqlalchemy.pool.impl.QueuePool").error("Exception terminating connection", exc_info=BrokenPipeError(32, "Broken pipe"))
warnings.warn("a library warns")
worker = threading.Thread(target=lambda: 1 / 0, name="doomed")
worker.start()
worker.join()
raise RuntimeError("the program ends with an exception")
"""

PASSWORD = "Json-lines-only-4417"


def json_lines(text: str) -> list[dict]:
    """Every non-empty line as a JSON object; fails naming the lines that are not."""
    entries, not_json = [], []
    for line in filter(str.strip, text.splitlines()):
        try:
            entries.append(json.loads(line))
        except ValueError:
            not_json.append(line)
    assert not_json == [], "lines that are not JSON:\n" + "\n".join(not_json[:20])
    assert all(isinstance(entry, dict) and {"severity", "message", "logger"} <= set(entry) for entry in entries)
    return entries


def test_library_errors_warnings_and_uncaught_exceptions_are_json_lines():
    done = subprocess.run([sys.executable, "-c", MISHAPS], cwd=manifest.ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": str(manifest.ROOT)})
    assert done.returncode == 1
    entries = json_lines(done.stdout + "\n" + done.stderr)
    assert [(entry["logger"], entry["severity"]) for entry in entries] == [
        ("tokenwise.mishaps", "INFO"), ("sqlalchemy.pool.impl.QueuePool", "ERROR"), ("py.warnings", "WARNING"),
        ("tokenwise.thread", "CRITICAL"), ("tokenwise.process", "CRITICAL")]
    pool, warned, thread, process = entries[1:]
    assert pool["stack_trace"] == "BrokenPipeError: [Errno 32] Broken pipe"
    assert "UserWarning: a library warns" in warned["message"]
    assert thread["thread"] == "doomed" and thread["stack_trace"].endswith("ZeroDivisionError: division by zero")
    assert process["stack_trace"].endswith("RuntimeError: the program ends with an exception")


def _login(base: str, email: str) -> requests.Response:
    return requests.post(f"{base}/auth/login", json={"email": email, "password": PASSWORD}, timeout=30)


@pytest.mark.slow
@pytest.mark.postgres
def test_a_pool_invalidation_is_logged_as_one_json_line(pg_db, proxies, pg_upstream, tmp_path):
    proxy = proxies(pg_upstream)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "TOKENWISE_", "FUNCTION_", "DB_", "K_SERVICE", "LOG_"))}
    env.update(pg_db.env(), DATABASE_URL=proxy.url_for(pg_db.url), TOKENWISE_ENV="development",
               TOKENWISE_DATA_DIR=str(tmp_path / "data"), JWT_SECRET=TEST_SECRET, DB_BACKOFF_MAX_S="0.5",
               PYTHONPATH=str(manifest.ROOT))
    auth = next(unit for unit in manifest.functions() if unit.name == "auth")
    email = unique_email("jsonlog")

    with unit_process(auth, auth.source_path, env, tmp_path) as info:
        base = info["base"]
        registered = requests.post(f"{base}/auth/register", json={"email": email, "password": PASSWORD},
                                   timeout=30)
        assert registered.status_code == 201, registered.text
        assert _login(base, email).status_code == 200
        proxy.cut()  # the server goes away with the pool's connections...
        proxy.restore()  # ...and comes back: every pooled connection is dead
        deadline = time.monotonic() + 15
        while (answer := _login(base, email)).status_code != 200 and time.monotonic() < deadline:
            assert answer.json()["error"]["code"] == "database_unavailable", answer.text
            time.sleep(0.2)
        assert answer.status_code == 200, answer.text

    entries = json_lines((tmp_path / f"{auth.name}.log").read_text())
    dropped = [entry for entry in entries if entry["logger"].startswith("sqlalchemy.pool")]
    assert dropped, "the restart was not seen by the pool: nothing proves its logs are routed"
    assert all("stack_trace" in entry and "Traceback" in entry["stack_trace"] for entry in dropped), dropped
    assert any(entry["logger"] == "werkzeug" and "POST /auth/login" in entry["message"] for entry in entries)
