"""``agents_execute`` in a real functions-framework process, loaded through a root entry-point file."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from infra.manifest import ROOT
from tests.support.agent_functions import AGENTS
from tests.support.october_usage import NOW, OCTOBER
from tests.support.ports import free_port
from tests.support.processes import serving

pytestmark = pytest.mark.slow
BODY = {"message": "How can we cut our LLM costs?", "context": {"now": NOW.isoformat(), "time_range": OCTOBER}}


def entry_file(tmp_path: Path) -> Path:
    """The root main.py once it re-exports the agent functions; until then a file that does the same."""
    root_main = ROOT / "main.py"
    if all(f"agents_{name}" in root_main.read_text() for name in AGENTS):
        return root_main
    stand_in = tmp_path / "main.py"
    stand_in.write_text("".join(f"from functions.agents_{name}.main import agents_{name}  # noqa: F401\n"
                                for name in AGENTS))
    return stand_in


@pytest.fixture
def server(database, tmp_path):
    port = free_port()
    env = {**os.environ, **database.env(), "PYTHONPATH": str(ROOT)}
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "server.log", "w+") as log:
        def logged() -> str:
            log.seek(0)
            return log.read()

        with serving([sys.executable, "-m", "functions_framework", "--target", "agents_execute",
                      "--source", str(entry_file(tmp_path)), "--host", "127.0.0.1", "--port", str(port)],
                     ready_url=f"{base}/api/agents/execute/health", cwd=str(ROOT), env=env,
                     stdout=log, stderr=subprocess.STDOUT, interval_s=0.2, output=logged):
            yield base


def test_json_and_stream_over_real_http(server, october_user):
    health = requests.get(f"{server}/api/agents/execute/health/ready", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "healthy"

    anonymous = requests.post(f"{server}/api/agents/execute", json=BODY, timeout=30)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "missing_token"

    reply = requests.post(f"{server}/api/agents/execute", json=BODY, headers=october_user.headers, timeout=60)
    assert reply.status_code == 200
    body = reply.json()
    assert (body["status"], body["agent"], body["result"]["category"]) == ("success", "supervisor",
                                                                          "cost_optimization")
    assert body["result"]["data"]["totals"]["requests"] == 1085

    frames, current = [], {}
    with requests.post(f"{server}/api/agents/execute", json=BODY, stream=True, timeout=60,
                       headers={**october_user.headers, "Accept": "text/event-stream"}) as streamed:
        assert streamed.status_code == 200
        assert streamed.headers["Content-Type"].startswith("text/event-stream")
        for line in streamed.iter_lines(decode_unicode=True):
            if not line:
                frames.append(current)
                current = {}
            elif not line.startswith(":"):
                key, _, value = line.partition(": ")
                current[key] = json.loads(value) if key == "data" else value
    assert frames[-1]["event"] == "done" and frames[-1]["data"]["status"] == "success"
    events = [f["data"] for f in frames[:-1]]
    assert [(e["type"], e["agent"]) for e in events] == [(e["type"], e["agent"]) for e in body["events"]]
    assert events[-1]["payload"]["result"] == body["result"]
