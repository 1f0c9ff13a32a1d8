"""infra.status against a mocked Cloud Run client returning real run_v2 messages and real API errors."""
from __future__ import annotations

import datetime
import json
import subprocess
import sys
from unittest import mock

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2

from infra import status
from infra.manifest import ROOT
from tests.support.fixture_manifest import FIXTURE_MANIFEST

PROJECT, REGION, TAG = "acme-prod", "europe-west1", "abc1234"
SUCCEEDED = run_v2.Condition.State.CONDITION_SUCCEEDED


def service(unit, *, state=SUCCEEDED, message="", timeout_s=None, affinity=None, concurrency=None, image=None):
    name = status.service_path(PROJECT, REGION, unit)
    return run_v2.Service(
        name=name, uri=f"https://{unit.service}-xyz-ew.a.run.app",
        latest_ready_revision=f"{name}/revisions/{unit.service}-00003-abc",
        terminal_condition=run_v2.Condition(type_="Ready", state=state, message=message),
        template=run_v2.RevisionTemplate(
            timeout=datetime.timedelta(seconds=unit.timeout_s if timeout_s is None else timeout_s),
            session_affinity=unit.session_affinity if affinity is None else affinity,
            max_instance_request_concurrency=unit.concurrency if concurrency is None else concurrency,
            containers=[run_v2.Container(image=image or (
                f"{REGION}-docker.pkg.dev/{PROJECT}/tokenwise/{unit.service}:{TAG}" if unit.kind == "container"
                else f"{REGION}-docker.pkg.dev/{PROJECT}/gcf-artifacts/{unit.service}:version_1"))]))


def client_for(answers: dict):
    """An autospec'd ServicesClient whose get_service answers by service name (a Service or an exception)."""
    client = mock.create_autospec(run_v2.ServicesClient, instance=True)

    def get_service(*, name, **_):
        answer = answers[name.rsplit("/", 1)[-1]]
        if isinstance(answer, Exception):
            raise answer
        return answer
    client.get_service.side_effect = get_service
    return client


def test_all_ready_and_matching_is_healthy(fixture_units):
    client = client_for({u.service: service(u) for u in fixture_units})
    found = status.collect(fixture_units, PROJECT, REGION, client=client, tag=TAG)
    assert [s.state for s in found] == ["ready"] * len(fixture_units)
    assert all(s.healthy and s.drift == [] for s in found)
    chat = found[-1]
    assert (chat.unit, chat.url, chat.revision) == ("chat", "https://chat-xyz-ew.a.run.app", "chat-00003-abc")
    assert chat.image == f"{REGION}-docker.pkg.dev/{PROJECT}/tokenwise/chat:{TAG}"
    called = [c.kwargs["name"] for c in client.get_service.call_args_list]
    assert called == [f"projects/{PROJECT}/locations/{REGION}/services/{u.service}" for u in fixture_units]


def test_drift_in_timeout_affinity_concurrency_and_tag_is_flagged(fixture_units):
    chat = fixture_units[-1]
    answers = {u.service: service(u) for u in fixture_units}
    answers["chat"] = service(chat, timeout_s=300, affinity=False, concurrency=80,
                              image=f"{REGION}-docker.pkg.dev/{PROJECT}/tokenwise/chat:old999")
    answers["auth"] = service(fixture_units[0], concurrency=1)
    found = {s.unit: s for s in status.collect(fixture_units, PROJECT, REGION, client=client_for(answers), tag=TAG)}
    assert found["chat"].state == "ready" and not found["chat"].healthy
    assert found["chat"].drift == ["timeout is 300s, manifest says 3600s", "session affinity is off, manifest says on",
                                   "concurrency is 80, manifest says 1000", f"image tag is old999, expected {TAG}"]
    assert found["auth"].drift == ["concurrency is 1, manifest says 8"]
    assert found["usage"].drift == []


def test_missing_forbidden_not_ready_and_other_errors_are_reported(fixture_units):
    answers = {u.service: service(u) for u in fixture_units}
    answers["usage"] = exceptions.NotFound("Resource 'usage' was not found")
    answers["agents-data"] = exceptions.PermissionDenied("Permission 'run.services.get' denied")
    answers["agents-triage"] = service(fixture_units[3], state=run_v2.Condition.State.CONDITION_FAILED,
                                       message="Revision 'agents-triage-00004' is not ready: container failed to start")
    answers["agents-execute"] = service(fixture_units[2], state=run_v2.Condition.State.CONDITION_RECONCILING)
    answers["auth"] = exceptions.ServiceUnavailable("backend unavailable")
    found = {s.unit: s for s in status.collect(fixture_units, PROJECT, REGION, client=client_for(answers), tag=TAG)}
    assert (found["usage"].state, found["usage"].reason) == ("missing", "not deployed")
    assert found["agents_data"].state == "forbidden"
    assert found["agents_data"].reason == "Permission 'run.services.get' denied"
    assert found["agents_triage"].state == "not_ready"
    assert found["agents_triage"].reason == "Revision 'agents-triage-00004' is not ready: container failed to start"
    assert (found["agents_execute"].state, found["agents_execute"].reason) == ("not_ready", "CONDITION_RECONCILING")
    assert (found["auth"].state, found["auth"].reason) == ("error", "ServiceUnavailable: backend unavailable")
    assert (found["chat"].state, found["chat"].healthy) == ("ready", True)


def test_cli_table_json_and_exit_status(fixture_units, capsys):
    answers = {u.service: service(u) for u in fixture_units}
    argv = ["--project", PROJECT, "--region", REGION, "--tag", TAG, "--manifest", str(FIXTURE_MANIFEST)]
    assert status.main(argv, client=client_for(answers)) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["UNIT", "STATE", "REVISION", "URL", "IMAGE", "NOTES"]
    assert len(lines) == 1 + len(fixture_units)
    assert lines[-1].split()[:4] == ["chat", "ready", "chat-00003-abc", "https://chat-xyz-ew.a.run.app"]

    answers["chat"] = exceptions.NotFound("no chat")
    assert status.main([*argv, "--json"], client=client_for(answers)) == 1
    rows = json.loads(capsys.readouterr().out)
    assert rows[-1] == {"unit": "chat", "service": "chat", "state": "missing", "url": "", "revision": "",
                        "image": "", "reason": "not deployed", "drift": [], "healthy": False}


def test_real_client_with_its_transport_mocked(fixture_units):
    """A real ServicesClient (anonymous, gRPC) whose transport call is patched: our requests are well formed."""
    client = run_v2.ServicesClient(credentials=AnonymousCredentials())
    unit = fixture_units[-1]
    with mock.patch.object(type(client.transport.get_service), "__call__") as call:
        call.return_value = service(unit)
        found = status.collect([unit], PROJECT, REGION, client=client, tag=TAG)
    assert [(s.state, s.healthy) for s in found] == [("ready", True)]
    request = call.call_args.args[0]
    assert request.name == f"projects/{PROJECT}/locations/{REGION}/services/chat"


def test_importing_the_module_builds_no_client_and_loads_no_google_library():
    code = "import sys, infra.status; print('google.cloud.run_v2' in sys.modules, 'google.api_core' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_client_is_built_on_first_use_and_missing_credentials_are_explained(fixture_units, monkeypatch, capsys):
    from google.auth.exceptions import DefaultCredentialsError
    made = []

    def no_credentials():
        made.append(True)
        raise DefaultCredentialsError("Your default credentials were not found.")
    monkeypatch.setattr(status, "make_client", no_credentials)
    code = status.main(["--project", PROJECT, "--region", REGION, "--manifest", str(FIXTURE_MANIFEST)])
    assert (code, made) == (2, [True])
    assert "no Google Cloud credentials" in capsys.readouterr().err


@pytest.mark.parametrize("image,expected", [("r/p/tokenwise/chat", "(none)"), ("host:5000/p/chat", "(none)")])
def test_image_without_a_tag_is_drift(fixture_units, image, expected):
    chat = fixture_units[-1]
    assert status.drift(chat, service(chat, image=image), TAG) == [f"image tag is {expected}, expected {TAG}"]
