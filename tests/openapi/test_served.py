"""``GET /openapi.json``: the local stack serves the document of the units it mounts, in-process, as a real
process, and from parity mode's front proxy."""
from __future__ import annotations

import json
import os
import signal
import threading

import pytest
import requests

from infra import local_stack, manifest, openapi, parity
from tests.openapi.contract import Contract
from tests.stack.launcher import StackProcess, stack_env
from tests.stack.manifests import BROKEN, final_unit
from tests.support.in_process_stack import RunningStack


def _http() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def test_the_in_process_stack_serves_the_document(stack, document):
    response = stack.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert int(response.headers["Content-Length"]) == len(response.content)
    assert response.json() == json.loads(json.dumps(document))
    Contract(response.json())  # its schemas are valid JSON Schema once converted


def test_head_answers_without_a_body_and_other_methods_are_refused(stack):
    head = stack.http.head(stack.base_url + "/openapi.json", timeout=10)
    assert (head.status_code, head.content) == (200, b"")
    assert int(head.headers["Content-Length"]) == len(stack.get("/openapi.json").content)
    refused = stack.post("/openapi.json", json={})
    assert refused.status_code == 405 and refused.headers["Allow"] == "GET, HEAD"
    assert refused.json() == {"error": {"code": "method_not_allowed",
                                        "message": "POST is not allowed on /openapi.json.",
                                        "details": {"allowed": ["GET", "HEAD"]}}}


def test_the_document_describes_the_mounted_units_even_one_that_failed_to_load():
    running = RunningStack(local_stack.build([final_unit("auth"), BROKEN]))
    try:
        assert running.dispatcher.units()["broken"]["status"] == "failed"
        served = running.get("/openapi.json").json()
        broken = running.get("/api/broken/health")
    finally:
        running.stop()
    assert served == json.loads(json.dumps(openapi.document([final_unit("auth"), BROKEN])))
    assert {"/auth/login", "/api/broken/health", "/api/broken/health/ready"} <= set(served["paths"])
    assert not any(path.startswith(("/api/usage", "/api/agents", "/api/threads")) for path in served["paths"])
    assert (broken.status_code, broken.json()["error"]["code"]) == (503, "unit_unavailable")


@pytest.mark.slow
def test_the_stack_process_serves_the_document(tmp_path):
    env = stack_env(tmp_path, JWT_SECRET=os.environ["JWT_SECRET"], DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}")
    process = StackProcess("infra.local_stack", ["--manifest", str(manifest.MANIFEST)], env, tmp_path)
    try:
        process.wait_ready()
        response = _http().get(process.base_url + "/openapi.json", timeout=30)
        assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
        assert response.json() == json.loads(json.dumps(openapi.document(manifest.load())))
    finally:
        code = process.stop(signal.SIGTERM)
    assert code == 0, process.output()


@pytest.fixture
def front_proxy():
    """Parity mode's front proxy over units that are not running (the document needs none of them)."""
    units = [parity.UnitProcess(unit, parity.free_port()) for unit in manifest.load()]
    server = parity.FrontProxy(("127.0.0.1", 0), units)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_parity_mode_front_proxy_serves_the_document(front_proxy):
    response = _http().get(front_proxy + "/openapi.json", timeout=10)
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    assert response.json() == json.loads(json.dumps(openapi.document(manifest.load())))
    unit_down = _http().get(front_proxy + "/auth/me", timeout=10)
    assert (unit_down.status_code, unit_down.json()["error"]["code"]) == (503, "unit_unavailable")
