"""cloudbuild.yaml: generated from the manifest, parseable, only defined substitutions, every unit deployed."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from infra import cloudbuild, steps
from infra.manifest import ROOT, Unit
from tests.infra import cloudbuild_text as cb

COMMITTED = ROOT / "cloudbuild.yaml"


def by_id(config: dict) -> dict[str, dict]:
    return {step["id"]: step for step in config["steps"]}


def test_committed_file_is_the_generated_one(real_units):
    assert COMMITTED.read_text() == cloudbuild.text(real_units), \
        "cloudbuild.yaml drifted from the manifest: run `python -m infra.cloudbuild > cloudbuild.yaml`"


def test_cli_prints_the_same_text():
    out = subprocess.run([sys.executable, "-m", "infra.cloudbuild"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    assert out == COMMITTED.read_text()


def test_committed_file_parses_and_uses_only_defined_substitutions():
    config = cb.parse(COMMITTED.read_text())
    assert [s["id"] for s in config["steps"]][:4] == ["test-db", "test", "test-db-remove", "stage"]
    assert cb.undefined(config) == []
    assert set(config["substitutions"]) == {"_REGION", "_REPOSITORY", "_TAG", "_SQL_INSTANCE", "_SERVICE_ACCOUNT",
                                            "_DOMAIN"}
    assert config["substitutions"]["_TAG"] == "manual-${BUILD_ID}"
    assert config["options"]["dynamicSubstitutions"] is True
    assert config["timeout"] == "3600s"


def test_the_suite_runs_against_a_postgresql_the_build_starts(units):
    """Not SQLite only: a postgres:16 container on Cloud Build's network, waited for, then the suite with the
    PostgreSQL tests required and pointed at it by name; the container is removed after the suite."""
    steps_by_id = by_id(cb.parse(cloudbuild.text(units)))
    database = steps_by_id["test-db"]
    assert (database["name"], database["entrypoint"], "waitFor" in database) == (
        "gcr.io/cloud-builders/docker", "bash", False)
    start, wait = database["args"][1].splitlines()[1:]
    assert shlex.split(start) == ["docker", "run", "--detach", "--name=tokenwise-test-pg", "--network=cloudbuild",
                                  "--env=POSTGRES_HOST_AUTH_METHOD=trust", "--env=POSTGRES_DB=test", "postgres:16"]
    assert shlex.split(wait) == [
        "docker", "run", "--rm", "--network=cloudbuild", "postgres:16", "timeout", "120", "sh", "-c",
        "until pg_isready -q -h tokenwise-test-pg -U postgres -d test; do sleep 1; done"]

    test = steps_by_id["test"]
    assert (test["name"], test["entrypoint"], test["waitFor"]) == ("python:3.12-slim", "bash", ["test-db"])
    script = test["args"][1].splitlines()
    assert script[0] == "set -euo pipefail"
    assert shlex.split(script[1]) == ["pip", "install", "--quiet", "--no-cache-dir", ".[dev]"]
    command = shlex.split(script[2])
    assert command[:3] == ["env", "TOKENWISE_REQUIRE_PG=1",
                           "TOKENWISE_TEST_PG_URL=postgresql+pg8000://postgres@tokenwise-test-pg:5432/test"]
    assert command[3:] == ["python", "-m", "pytest", "-q", "-m", "not slow"]
    url = make_url(command[2].split("=", 1)[1])
    assert (url.host, url.port, url.username, url.database) == ("tokenwise-test-pg", 5432, "postgres", "test")

    removed = steps_by_id["test-db-remove"]
    assert removed["args"] == ["rm", "--force", "--volumes", "tokenwise-test-pg"]
    assert removed["waitFor"] == ["test"]
    assert steps_by_id["stage"]["waitFor"] == ["test"]


def test_config_of_every_manifest_parses_with_ordered_unique_steps(units):
    config = cb.parse(cloudbuild.text(units))
    ids = [s["id"] for s in config["steps"]]
    assert len(ids) == len(set(ids))
    for index, step in enumerate(config["steps"]):
        assert set(step) <= {"id", "name", "entrypoint", "args", "waitFor"}
        assert all(dep in ids[:index] for dep in step.get("waitFor", [])), step["id"]
    assert cb.undefined(config) == []


def test_the_substitution_check_catches_undefined_and_malformed_names():
    config = {"steps": [{"args": ["--region=$_REGON", "${PROJECT_ID}", "$$HOME", "${oops-x}", "cost $5"]}],
              "substitutions": {"_REGION": "x"}}
    assert cb.undefined(config) == ["<malformed '$5'>", "<malformed '${oops-x}'>", "_REGON"]


def test_every_function_is_deployed_in_parallel_after_stage(units):
    config = cb.parse(cloudbuild.text(units))
    steps_by_id = by_id(config)
    for unit in [u for u in units if u.kind == "function"]:
        step = steps_by_id[f"deploy-{unit.service}"]
        assert step["entrypoint"] == "gcloud"
        args = step["args"]
        assert args[:3] == ["functions", "deploy", unit.service]
        for flag in ("--gen2", "--runtime=python312", "--region=${_REGION}", "--source=deploy",
                     f"--entry-point={unit.entry_point}", "--trigger-http", f"--timeout={unit.timeout_s}s",
                     f"--concurrency={unit.concurrency}", f"--memory={unit.memory}", f"--cpu={unit.cpu}",
                     f"--min-instances={unit.min_instances}", f"--max-instances={unit.max_instances}"):
            assert flag in args, (unit.name, flag)
        env = next(a for a in args if a.startswith("--set-env-vars="))
        assert f"THREADS={unit.concurrency}" in env.split("=", 1)[1].split(",")
        assert "stage" in step["waitFor"]
        assert not [d for d in step["waitFor"] if d.startswith("deploy-")], "function deploys must run in parallel"
        if unit.needs_database:
            sql = steps_by_id[f"sql-{unit.service}"]
            assert sql["args"] == ["run", "services", "update", unit.service, "--region=${_REGION}",
                                   "--set-cloudsql-instances=${PROJECT_ID}:${_REGION}:${_SQL_INSTANCE}"]
            assert sql["waitFor"] == [f"deploy-{unit.service}"]


def test_auth_function_step_is_exact(fixture_units):
    step = by_id(cb.parse(cloudbuild.text(fixture_units)))["deploy-auth"]
    assert step == {
        "id": "deploy-auth", "name": "gcr.io/google.com/cloudsdktool/cloud-sdk:slim", "entrypoint": "gcloud",
        "args": ["functions", "deploy", "auth", "--gen2", "--runtime=python312", "--region=${_REGION}",
                 "--source=deploy", "--entry-point=auth", "--trigger-http", "--allow-unauthenticated",
                 "--timeout=60s", "--concurrency=8", "--memory=512Mi", "--cpu=1", "--min-instances=0",
                 "--max-instances=10", "--service-account=${_SERVICE_ACCOUNT}@${PROJECT_ID}.iam.gserviceaccount.com",
                 "--set-env-vars=THREADS=8,TOKENWISE_ENV=production",
                 "--set-secrets=JWT_SECRET=jwt-secret:latest,DATABASE_URL=database-url:latest"],
        "waitFor": ["stage", "migrate"]}


def test_chat_image_is_built_pushed_and_deployed_with_websocket_settings(fixture_units):
    steps_by_id = by_id(cb.parse(cloudbuild.text(fixture_units)))
    image = "${_REGION}-docker.pkg.dev/${PROJECT_ID}/${_REPOSITORY}/chat:${_TAG}"
    assert steps_by_id["build-chat"]["args"] == ["build", "-f", "infra/chat.Dockerfile", "-t", image, "deploy"]
    assert steps_by_id["build-chat"]["waitFor"] == ["stage"]
    assert steps_by_id["push-chat"]["args"] == ["push", image]
    assert steps_by_id["migrate"]["args"][:5] == ["run", "jobs", "deploy", "tokenwise-migrate", f"--image={image}"]
    assert "--execute-now" in steps_by_id["migrate"]["args"] and "--wait" in steps_by_id["migrate"]["args"]
    deploy = steps_by_id["deploy-chat"]
    assert deploy["args"][:4] == ["run", "deploy", "chat", f"--image={image}"]
    for flag in ("--timeout=3600", "--session-affinity", "--concurrency=1000", "--min-instances=1",
                 "--set-cloudsql-instances=${PROJECT_ID}:${_REGION}:${_SQL_INSTANCE}",
                 "--set-secrets=JWT_SECRET=jwt-secret:latest,DATABASE_URL=database-url:latest",
                 "--set-env-vars=TOKENWISE_ENV=production"):
        assert flag in deploy["args"], flag
    assert deploy["waitFor"] == ["push-chat", "migrate"]


def test_load_balancer_gets_a_backend_per_unit_then_the_url_map(units):
    steps_by_id = by_id(cb.parse(cloudbuild.text(units)))
    script = steps_by_id["lb-backends"]["args"][1]
    for unit in units:
        assert f"--cloud-run-service={unit.service}" in script
        assert f"backend-services create tokenwise-{unit.service}-backend" in script
        assert f"--network-endpoint-group=tokenwise-{unit.service}-neg" in script
    deploys = {s for s in steps_by_id if s.startswith(("deploy-", "sql-"))}
    assert set(steps_by_id["lb-backends"]["waitFor"]) == deploys
    assert steps_by_id["urlmap"]["args"] == ["-m", "infra.urlmap", "--project=${PROJECT_ID}", "--output=urlmap.yaml"]
    assert steps_by_id["lb-urlmap"]["args"] == ["compute", "url-maps", "import", "tokenwise-urlmap",
                                                "--source=urlmap.yaml", "--global", "--quiet"]
    assert steps_by_id["lb-urlmap"]["waitFor"] == ["lb-backends", "urlmap"]
    assert "if [ -n '${_DOMAIN}' ]" in steps_by_id["lb-frontend"]["args"][1]


def test_env_values_with_commas_use_the_alternate_delimiter():
    unit = Unit(name="x", kind="function", entry_point="x", source="functions/x/main.py", paths=("/x",),
                memory="256Mi", cpu="1", timeout_s=10, concurrency=2, min_instances=0, max_instances=1,
                needs_database=False, env={"ORIGINS": "a.example,b.example"})
    argv = steps.function_deploy(unit).argv
    assert "--set-env-vars=^|^ORIGINS=a.example,b.example|THREADS=2" in argv
    assert not [a for a in argv if a.startswith("--set-secrets")]


@pytest.mark.parametrize("change,message", [
    ({"kind": "vm"}, "unknown kind 'vm'"),
    ({"concurrency": 1001}, "concurrency must be 1..1000, not 1001"),
    ({"timeout_s": 3601}, "timeout_s must be 1..3600, not 3601"),
    ({"cpu": "0.5", "concurrency": 4}, "concurrency above 1 needs at least 1 CPU"),
    ({"min_instances": 3, "max_instances": 2}, "needs 0 <= min_instances <= max_instances"),
])
def test_settings_cloud_run_would_refuse_are_refused(fixture_units, change, message):
    odd = Unit(**{**fixture_units[0].__dict__, **change})
    with pytest.raises(ValueError, match=re.escape(f"unit auth: {message}") if "kind" not in change
                       else re.escape(message)):
        steps.steps([odd])
