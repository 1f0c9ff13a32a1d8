"""infra/chat.Dockerfile: slim base, non-root, pinned requirements, the documented gunicorn command, $PORT."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from infra import manifest, stage
from infra.manifest import ROOT
from tests.support.ports import free_port
from tests.support.processes import stop_process, wait_for_http

DOCKERFILE = ROOT / "infra" / "chat.Dockerfile"
CHAT_DIR = ROOT / "functions" / "chat"


def instructions(text: str) -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", text)
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            out.append((keyword.upper(), rest.strip()))
    return out


def chat_unit(units) -> manifest.Unit:
    return next(u for u in units if u.kind == "container" and u.name == "chat")


def cmd_command() -> str:
    cmds = [rest for keyword, rest in instructions(DOCKERFILE.read_text()) if keyword == "CMD"]
    assert len(cmds) == 1
    assert cmds[0].startswith("exec "), "shell form with exec: $PORT expands and gunicorn is PID 1"
    return cmds[0].removeprefix("exec ")


def test_cmd_is_the_manifest_command(fixture_units, real_units):
    assert cmd_command() == chat_unit(fixture_units).command
    containers = [u for u in real_units if u.name == "chat"]
    if containers:
        assert cmd_command() == containers[0].command


def test_cmd_is_the_command_documented_beside_the_chat_code():
    docs = sorted(CHAT_DIR.glob("*.md")) if CHAT_DIR.is_dir() else []
    if not docs:
        pytest.skip("functions/chat has no documentation yet")
    lines = {line.strip().strip("`") for doc in docs for line in doc.read_text().splitlines()}
    assert cmd_command() in lines, f"the production command in {[d.name for d in docs]} differs from the CMD"


def test_image_is_slim_non_root_with_pinned_requirements():
    steps = instructions(DOCKERFILE.read_text())
    keywords = [k for k, _ in steps]
    assert steps[0][0] == "FROM" and re.fullmatch(r"python:3\.12-slim(-\w+)?", steps[0][1])
    users = [rest for k, rest in steps if k == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert keywords.index("USER") > max(i for i, k in enumerate(keywords) if k in ("RUN", "COPY"))
    run = " ".join(rest for k, rest in steps if k == "RUN")
    assert "pip install --no-compile -r requirements.txt" in run
    env = " ".join(rest for k, rest in steps if k == "ENV")
    assert "PORT=8080" in env.split()  # the default; Cloud Run sets its own, which the slow test below honours


def test_copied_requirements_are_pinned(tmp_path):
    stage.stage(tmp_path / "deploy")
    lines = [ln for ln in (tmp_path / "deploy" / "requirements.txt").read_text().splitlines() if ln[:1].isalpha()]
    assert lines and all(re.fullmatch(r"[A-Za-z0-9_.-]+(\[[^\]]+\])?==[\w.]+", ln) for ln in lines)


@pytest.mark.slow
def test_the_same_command_serves_the_chat_locally(tmp_path, fixture_units):
    """Run the CMD as the image would (staged folder as the workdir, $PORT set) and talk to it."""
    if not (CHAT_DIR / "app.py").is_file():
        pytest.skip("functions/chat/app.py has not landed yet")
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    from shared.auth import issue_access_token
    workdir = tmp_path / "app"
    stage.stage(workdir)
    data = tmp_path / "data"
    port = free_port()
    env = {**os.environ, "PORT": str(port), "TOKENWISE_ENV": "development", "TOKENWISE_DATA_DIR": str(data),
           "DATABASE_URL": f"sqlite:///{data / 'tokenwise.db'}", "JWT_SECRET": os.environ["JWT_SECRET"],
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    for name in ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE", "TOKENWISE_DB_SCHEMA"):
        env.pop(name, None)
    subprocess.run([sys.executable, "-m", "shared.db.migrate"], cwd=workdir, env=env, check=True,
                   capture_output=True)
    proc = subprocess.Popen(["sh", "-c", "exec " + chat_unit(fixture_units).command], cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        status, body = wait_for_http(f"http://127.0.0.1:{port}/health", proc,
                                     timeout_s=60, interval_s=0.2, status=None)
        assert status == 200, body
        assert json.loads(body)["status"] == "healthy"
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{port}/ws", open_timeout=10).close()
        assert refused.value.response.status_code == 401
        token, _ = issue_access_token("user-deploy-check", "deploy-check@example.com", "session-1")
        with connect(f"ws://127.0.0.1:{port}/ws", subprotocols=[f"jwt.{token}"], open_timeout=10) as ws:
            assert ws.subprotocol == f"jwt.{token}"
            first = json.loads(ws.recv(timeout=10))
            assert first["type"] == "connection_established"
            assert first["user_id"] == "user-deploy-check"
            # what Cloud Run does before it stops an instance: the socket closes with 1001, the process exits
            proc.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert proc.wait(10) == 0
    finally:
        stop_process(proc)
