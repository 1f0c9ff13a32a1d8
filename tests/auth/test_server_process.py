"""The auth unit as deployed: a real ``functions-framework --target auth --source main.py`` process."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.support.identity import TEST_SECRET, unique_email
from tests.support.ports import free_port
from tests.support.processes import serving, unit_env

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = str(Path(sys.executable).with_name("functions-framework"))


@pytest.fixture
def auth_server(database, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving([FRAMEWORK, "--target", "auth", "--source", "main.py", "--host", "127.0.0.1", "--port", str(port)],
                 ready_url=f"{base}/auth/health", cwd=ROOT, env=unit_env(database, tmp_path)) as process:
        yield base, process


@pytest.mark.slow
def test_full_flow_through_a_real_server(auth_server, database):
    base, process = auth_server
    health = requests.get(f"{base}/auth/health", timeout=10).json()
    assert health["status"] == "healthy"
    assert health["checks"]["database"]["backend"] == database.name
    assert requests.get(f"{base}/auth/health/ready", timeout=10).status_code == 200

    email = unique_email("proc")
    password = "Process-Password-42"
    created = requests.post(f"{base}/auth/register", json={"email": email, "password": password, "name": "P"},
                            timeout=10)
    assert created.status_code == 201
    user_id = created.json()["user"]["id"]
    login = requests.post(f"{base}/auth/login", json={"email": email, "password": password}, timeout=10)
    assert login.status_code == 200
    tokens = login.json()
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    me = requests.get(f"{base}/auth/me", headers=headers, timeout=10)
    assert me.status_code == 200 and me.json()["user"]["id"] == user_id
    assert me.headers["X-Request-Id"]
    refreshed = requests.post(f"{base}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=10)
    assert refreshed.status_code == 200
    reused = requests.post(f"{base}/auth/refresh", json={"refresh_token": tokens["refresh_token"]}, timeout=10)
    assert reused.status_code == 401 and reused.json()["error"]["code"] == "refresh_token_reused"
    new_headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert requests.get(f"{base}/auth/me", headers=new_headers, timeout=10).json()["error"]["code"] == \
        "session_revoked"

    again = requests.post(f"{base}/auth/login", json={"email": email, "password": password}, timeout=10).json()
    assert requests.post(f"{base}/auth/logout", headers={"Authorization": f"Bearer {again['access_token']}"},
                         timeout=10).status_code == 204
    garbage = requests.post(f"{base}/auth/login", data=b"{nope", headers={"Content-Type": "application/json"},
                            timeout=10)
    assert garbage.status_code == 400 and garbage.json()["error"]["code"] == "invalid_json"
    empty = requests.get(f"{base}/auth/me", headers={"Authorization": ""}, timeout=10)
    assert empty.status_code == 401 and empty.json()["error"]["code"] == "missing_token"

    process.send_signal(signal.SIGTERM)
    output = process.communicate(timeout=10)[0].decode()
    logged = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(entry.get("message") == "user registered" for entry in logged)
    # Tokens and passwords never reach the logs.
    for secret in (password, tokens["access_token"], tokens["refresh_token"], TEST_SECRET):
        assert secret not in output


def test_importing_the_unit_stays_light(tmp_path):
    """Cold start: the unit imports neither Alembic, SQLAlchemy, argon2 nor PyJWT, and connects nowhere."""
    script = ("import sys, socket\n"
              "def refuse(*a, **k): raise AssertionError('connected at import time')\n"
              "socket.socket.connect = refuse\n"
              "import functions.auth.main as unit\n"
              "heavy = sorted(m for m in ('alembic', 'sqlalchemy', 'argon2', 'pg8000', 'jwt', 'cryptography')\n"
              "         if m in sys.modules)\n"
              "print(heavy, callable(unit.auth))\n")
    for url in ("", "not a url", "postgresql+pg8000://u@127.0.0.1:1/x"):
        env = {**os.environ, "DATABASE_URL": url, "TOKENWISE_DATA_DIR": str(tmp_path)}
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                             timeout=60)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == "[] True"
