"""`python -m infra.deploy plan`: every command of the build, with the values filled in, exactly as Cloud Build runs them."""
from __future__ import annotations

import shlex
import subprocess
import sys

from infra import cloudbuild
from infra.deploy import plan_lines
from infra.manifest import ROOT
from tests.infra import cloudbuild_text as cb
from tests.support.fixture_manifest import FIXTURE_MANIFEST

VALUES = {"project": "acme-prod", "region": "europe-west1", "tag": "abc1234", "repository": "tokenwise",
          "sql_instance": "tokenwise-db", "service_account": "tokenwise-runtime", "domain": "tw.example.com"}
SUBSTITUTIONS = {"PROJECT_ID": "acme-prod", "_REGION": "europe-west1", "_TAG": "abc1234", "_REPOSITORY": "tokenwise",
                 "_SQL_INSTANCE": "tokenwise-db", "_SERVICE_ACCOUNT": "tokenwise-runtime",
                 "_DOMAIN": "tw.example.com"}


def run_plan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "infra.deploy", "plan", *args], cwd=ROOT, capture_output=True,
                          text=True)


def sections(lines: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    current = None
    for line in lines:
        if line.startswith("# step "):
            current = line.split()[2]
            out[current] = []
        else:
            out[current].append(line)
    return out


def test_plan_equals_the_cloud_build_steps_with_substitutions_filled(units):
    """The plan and the build are one list of commands: fill Cloud Build's substitutions into
    cloudbuild.yaml's steps and you get the plan, line for line."""
    config = cb.parse(cloudbuild.text(units))
    plan = sections(plan_lines(units, VALUES))
    assert list(plan) == [step["id"] for step in config["steps"]]
    for step in config["steps"]:
        args = [cb.substitute(a, SUBSTITUTIONS) for a in step["args"]]
        if step["entrypoint"] == "bash":
            assert args[0] == "-c"
            script = args[1].splitlines()
            assert script[0] == "set -euo pipefail"
            # the build quotes its ${...} words; the shell sees the same words
            assert [shlex.split(line) for line in script[1:]] == [shlex.split(line) for line in plan[step["id"]]]
        else:
            assert len(plan[step["id"]]) == 1
            assert shlex.split(plan[step["id"]][0]) == [step["entrypoint"], *args], step["id"]


def test_cli_prints_every_command_for_the_final_units():
    result = run_plan("--project", "acme-prod", "--region", "europe-west1", "--tag", "abc1234",
                      "--manifest", str(FIXTURE_MANIFEST))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "{" not in result.stdout and "${" not in result.stdout
    image = "europe-west1-docker.pkg.dev/acme-prod/tokenwise/chat:abc1234"
    assert f"docker build -f infra/chat.Dockerfile -t {image} deploy" in lines
    assert f"docker push {image}" in lines
    for name, entry in (("auth", "auth"), ("usage", "usage"), ("agents-execute", "agents_execute"),
                        ("agents-triage", "agents_triage"), ("agents-data", "agents_data"),
                        ("agents-optimization", "agents_optimization")):
        deploy = [line for line in lines if line.startswith(f"gcloud functions deploy {name} ")]
        assert len(deploy) == 1, name
        assert (f"--gen2 --runtime=python312 --region=europe-west1 --source=deploy --entry-point={entry} "
                "--trigger-http") in deploy[0]
        assert (f"gcloud run services update {name} --region=europe-west1 "
                "--set-cloudsql-instances=acme-prod:europe-west1:tokenwise") in lines
    chat = [line for line in lines if line.startswith("gcloud run deploy chat ")]
    assert chat == [f"gcloud run deploy chat --image={image} --region=europe-west1 --platform=managed "
                    "--allow-unauthenticated --timeout=3600 --concurrency=1000 --session-affinity --memory=1Gi "
                    "--cpu=1 --min-instances=1 --max-instances=10 "
                    "--service-account=tokenwise-runtime@acme-prod.iam.gserviceaccount.com "
                    "--set-env-vars=TOKENWISE_ENV=production "
                    "--set-secrets=JWT_SECRET=jwt-secret:latest,DATABASE_URL=database-url:latest "
                    "--set-cloudsql-instances=acme-prod:europe-west1:tokenwise"]
    assert "gcloud compute url-maps import tokenwise-urlmap --source=urlmap.yaml --global --quiet" in lines
    assert "python -m infra.urlmap --project=acme-prod --output=urlmap.yaml" in lines
    # no domain given: the HTTPS pieces are written but switched off
    assert sum(line.startswith("if [ -n '' ]; then ") for line in lines) == 3


def test_cli_defaults_and_real_manifest():
    result = run_plan("--project", "acme-prod", "--region", "us-central1")
    assert result.returncode == 0, result.stderr
    assert "# step test (after test-db)" in result.stdout.splitlines()
    assert "gcloud functions deploy auth " in result.stdout


def test_cli_refuses_names_that_would_break_commands():
    for args in (("--project", "Acme Prod", "--region", "us-central1"),
                 ("--project", "acme", "--region", "us-central1;rm"),
                 ("--project", "acme", "--region", "us-central1", "--tag", "a b")):
        result = run_plan(*args)
        assert result.returncode == 2, args
        assert "has characters a resource name cannot hold" in result.stderr
    assert run_plan("--region", "us-central1").returncode == 2
