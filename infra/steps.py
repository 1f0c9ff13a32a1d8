"""The deploy as an ordered list of steps, derived from the manifest; rendered by
``infra.cloudbuild`` (Cloud Build steps) and ``infra.deploy plan`` (shell lines).

Each command is a template whose ``{placeholders}`` name a deploy setting
(``PLACEHOLDERS``): Cloud Build fills them with its substitutions, the plan with
the values a user gives, so both say exactly the same commands. Creating load
balancer pieces is guarded by a ``describe`` so that every build can run again.

Resource names: functions and services take the unit's cloud name
(``Unit.service``); load balancer pieces are prefixed ``tokenwise-``; secrets
are the env name in lower case with dashes (``JWT_SECRET`` → ``jwt-secret``).
"""
from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from infra.manifest import Unit

PLACEHOLDERS = ("project", "region", "repository", "tag", "sql_instance", "service_account", "domain")

PYTHON_IMAGE = "python:3.12-slim"
GCLOUD_IMAGE = "gcr.io/google.com/cloudsdktool/cloud-sdk:slim"
DOCKER_IMAGE = "gcr.io/cloud-builders/docker"
POSTGRES_IMAGE = "postgres:16"
FUNCTION_RUNTIME = "python312"
STAGE_DIR = "deploy"
URLMAP_FILE = "urlmap.yaml"
PREFIX = "tokenwise"
URLMAP_NAME = f"{PREFIX}-urlmap"
MIGRATE_JOB = f"{PREFIX}-migrate"
# The suite's PostgreSQL: a container on the Docker network Cloud Build attaches every step to, where
# a container is reachable by its name.
BUILD_NETWORK = "cloudbuild"
TEST_DB = f"{PREFIX}-test-pg"
TEST_DB_URL = f"postgresql+pg8000://postgres@{TEST_DB}:5432/test"
SERVICE_ACCOUNT = "{service_account}@{project}.iam.gserviceaccount.com"
SQL_CONNECTION = "{project}:{region}:{sql_instance}"

Fill = Callable[[str], str]


def filler(values: Mapping[str, str]) -> Fill:
    """Fills a template's placeholders; every placeholder must have a value."""
    missing = set(PLACEHOLDERS) - set(values)
    if missing:
        raise KeyError(f"no value for {sorted(missing)}")
    return lambda template: template.format_map(values)


@dataclass(frozen=True)
class Command:
    """One shell command; ``unless`` skips it when that check succeeds (its output
    containing ``unless_contains`` when given); ``only_if`` runs it only when that
    setting is not empty."""
    argv: tuple[str, ...]
    unless: tuple[str, ...] = ()
    unless_contains: str = ""
    only_if: str = ""

    @property
    def plain(self) -> bool:
        return not (self.unless or self.only_if)

    def argv_filled(self, fill: Fill) -> list[str]:
        return [fill(arg) for arg in self.argv]

    def shell(self, fill: Fill) -> str:
        line = shlex.join(self.argv_filled(fill))
        if self.unless:
            check = shlex.join(fill(arg) for arg in self.unless)
            # grep reads all of its input (no -q): an early exit would SIGPIPE the check under pipefail
            guard = (f"{check} 2>/dev/null | grep -F -- {shlex.quote(self.unless_contains)} >/dev/null"
                     if self.unless_contains else f"{check} >/dev/null 2>&1")
            line = f"{guard} || {line}"
        if self.only_if:
            line = f'if [ -n {shlex.quote(fill("{" + self.only_if + "}"))} ]; then {line}; fi'
        return line


@dataclass(frozen=True)
class Step:
    id: str
    image: str
    commands: tuple[Command, ...]
    wait_for: tuple[str, ...] = ()

    def script(self, fill: Fill) -> str:
        return "\n".join(command.shell(fill) for command in self.commands)


def secret_name(env_name: str) -> str:
    return env_name.lower().replace("_", "-")


def image(unit: Unit) -> str:
    return f"{{region}}-docker.pkg.dev/{{project}}/{{repository}}/{unit.service}:{{tag}}"


def dockerfile(unit: Unit) -> str:
    return f"infra/{unit.name}.Dockerfile"


def neg_name(unit: Unit) -> str:
    return f"{PREFIX}-{unit.service}-neg"


def backend_name(unit: Unit) -> str:
    return f"{PREFIX}-{unit.service}-backend"


def _env_flag(env: dict[str, str]) -> str:
    pairs = [f"{key}={value}" for key, value in sorted(env.items())]
    if any("," in pair for pair in pairs):
        # gcloud's alternate-delimiter form keeps commas inside values
        return "--set-env-vars=^|^" + "|".join(pairs)
    return "--set-env-vars=" + ",".join(pairs)


def _runtime_flags(unit: Unit, env: dict[str, str]) -> list[str]:
    flags = [f"--memory={unit.memory}", f"--cpu={unit.cpu}",
             f"--min-instances={unit.min_instances}", f"--max-instances={unit.max_instances}",
             f"--service-account={SERVICE_ACCOUNT}"]
    if env:
        flags.append(_env_flag(env))
    if unit.secrets:
        flags.append("--set-secrets=" + ",".join(f"{name}={secret_name(name)}:latest" for name in unit.secrets))
    return flags


def function_deploy(unit: Unit) -> Command:
    # functions-framework serves with THREADS threads: match the concurrency Cloud Run sends
    env = {**unit.env, "THREADS": str(unit.concurrency)}
    return Command(("gcloud", "functions", "deploy", unit.service, "--gen2", f"--runtime={FUNCTION_RUNTIME}",
                    "--region={region}", f"--source={STAGE_DIR}", f"--entry-point={unit.entry_point}",
                    "--trigger-http", "--allow-unauthenticated", f"--timeout={unit.timeout_s}s",
                    f"--concurrency={unit.concurrency}", *_runtime_flags(unit, env)))


def function_cloudsql(unit: Unit) -> Command:
    # gcloud functions deploy cannot attach Cloud SQL; the function's Cloud Run service can
    return Command(("gcloud", "run", "services", "update", unit.service, "--region={region}",
                    f"--set-cloudsql-instances={SQL_CONNECTION}"))


def container_deploy(unit: Unit) -> Command:
    argv = ["gcloud", "run", "deploy", unit.service, f"--image={image(unit)}", "--region={region}",
            "--platform=managed", "--allow-unauthenticated", f"--timeout={unit.timeout_s}",
            f"--concurrency={unit.concurrency}",
            "--session-affinity" if unit.session_affinity else "--no-session-affinity",
            *_runtime_flags(unit, dict(unit.env))]
    if unit.needs_database:
        argv.append(f"--set-cloudsql-instances={SQL_CONNECTION}")
    return Command(tuple(argv))


def migrate_job(unit: Unit) -> Command:
    """Alembic migrations as a Cloud Run job from the container image, run to completion."""
    return Command(("gcloud", "run", "jobs", "deploy", MIGRATE_JOB, f"--image={image(unit)}", "--region={region}",
                    "--command=python", "--args=-m,shared.db.migrate", "--max-retries=0", "--task-timeout=600",
                    "--set-secrets=DATABASE_URL=database-url:latest", f"--set-cloudsql-instances={SQL_CONNECTION}",
                    f"--service-account={SERVICE_ACCOUNT}", "--execute-now", "--wait"))


def backend_commands(unit: Unit) -> list[Command]:
    neg, backend = neg_name(unit), backend_name(unit)
    return [
        Command(("gcloud", "compute", "network-endpoint-groups", "create", neg, "--region={region}",
                 "--network-endpoint-type=serverless", f"--cloud-run-service={unit.service}"),
                unless=("gcloud", "compute", "network-endpoint-groups", "describe", neg, "--region={region}")),
        Command(("gcloud", "compute", "backend-services", "create", backend, "--global",
                 "--load-balancing-scheme=EXTERNAL_MANAGED"),
                unless=("gcloud", "compute", "backend-services", "describe", backend, "--global")),
        Command(("gcloud", "compute", "backend-services", "add-backend", backend, "--global",
                 f"--network-endpoint-group={neg}", "--network-endpoint-group-region={region}"),
                unless=("gcloud", "compute", "backend-services", "describe", backend, "--global",
                        "--format=value(backends[].group)"),
                unless_contains=f"networkEndpointGroups/{neg}"),
    ]


def _ensure(kind: tuple[str, ...], name: str, create: tuple[str, ...], only_if: str = "") -> Command:
    return Command(("gcloud", "compute", *kind, "create", name, *create),
                   unless=("gcloud", "compute", *kind, "describe", name, "--global"), only_if=only_if)


def frontend_commands() -> list[Command]:
    """One public address: HTTP always, HTTPS with a managed certificate when a domain is set."""
    ip, http_proxy, https_proxy, cert = (f"{PREFIX}-ip", f"{PREFIX}-http-proxy", f"{PREFIX}-https-proxy",
                                         f"{PREFIX}-cert")
    rule = ("--global", "--load-balancing-scheme=EXTERNAL_MANAGED", f"--address={ip}")
    return [
        _ensure(("addresses",), ip, ("--global", "--ip-version=IPV4")),
        _ensure(("target-http-proxies",), http_proxy, (f"--url-map={URLMAP_NAME}", "--global")),
        _ensure(("forwarding-rules",), f"{PREFIX}-http", (*rule, f"--target-http-proxy={http_proxy}", "--ports=80")),
        _ensure(("ssl-certificates",), cert, ("--domains={domain}", "--global"), only_if="domain"),
        _ensure(("target-https-proxies",), https_proxy,
                (f"--url-map={URLMAP_NAME}", f"--ssl-certificates={cert}", "--global"), only_if="domain"),
        _ensure(("forwarding-rules",), f"{PREFIX}-https",
                (*rule, f"--target-https-proxy={https_proxy}", "--ports=443"), only_if="domain"),
    ]


@dataclass
class _Plan:
    steps: list[Step] = field(default_factory=list)

    def add(self, step: Step) -> str:
        self.steps.append(step)
        return step.id


def test_steps(plan: _Plan) -> str:
    """The suite against a PostgreSQL of its own (the PostgreSQL tests fail, not skip, without it); the
    step that passes. The server is started first and waited for, and removed once the suite is done."""
    database = plan.add(Step("test-db", DOCKER_IMAGE, (
        Command(("docker", "run", "--detach", f"--name={TEST_DB}", f"--network={BUILD_NETWORK}",
                 "--env=POSTGRES_HOST_AUTH_METHOD=trust", "--env=POSTGRES_DB=test", POSTGRES_IMAGE)),
        # The image's first-start server listens on no TCP port: a TCP answer is the real server.
        Command(("docker", "run", "--rm", f"--network={BUILD_NETWORK}", POSTGRES_IMAGE, "timeout", "120", "sh",
                 "-c", f"until pg_isready -q -h {TEST_DB} -U postgres -d test; do sleep 1; done")))))
    tested = plan.add(Step("test", PYTHON_IMAGE, (
        Command(("pip", "install", "--quiet", "--no-cache-dir", ".[dev]")),
        Command(("env", "TOKENWISE_REQUIRE_PG=1", f"TOKENWISE_TEST_PG_URL={TEST_DB_URL}",
                 "python", "-m", "pytest", "-q", "-m", "not slow"))), (database,)))
    plan.add(Step("test-db-remove", DOCKER_IMAGE, (Command(("docker", "rm", "--force", "--volumes", TEST_DB)),),
                  (tested,)))
    return tested


def check(unit: Unit) -> None:
    """Refuse settings Cloud Run would refuse, before a build gets half-way."""
    if unit.kind not in ("function", "container"):
        raise ValueError(f"unit {unit.name} is of unknown kind {unit.kind!r}")
    if not 1 <= unit.concurrency <= 1000:
        raise ValueError(f"unit {unit.name}: concurrency must be 1..1000, not {unit.concurrency}")
    if not 1 <= unit.timeout_s <= 3600:
        raise ValueError(f"unit {unit.name}: timeout_s must be 1..3600, not {unit.timeout_s}")
    if unit.concurrency > 1 and float(unit.cpu) < 1:
        raise ValueError(f"unit {unit.name}: concurrency above 1 needs at least 1 CPU")
    if not 0 <= unit.min_instances <= unit.max_instances:
        raise ValueError(f"unit {unit.name}: needs 0 <= min_instances <= max_instances")


def steps(units: list[Unit]) -> list[Step]:
    """Every step of the deploy, in order, with the steps each one waits for."""
    for unit in units:
        check(unit)
    functions = [u for u in units if u.kind == "function"]
    containers = [u for u in units if u.kind == "container"]
    plan = _Plan()
    tested = test_steps(plan)
    stage = plan.add(Step("stage", PYTHON_IMAGE, (
        Command(("python", "-m", "infra.stage", STAGE_DIR)),
        # the buildpack compiles everything it is given: fail here, before any deploy
        Command(("python", "-m", "compileall", "-q", STAGE_DIR))), (tested,)))
    pushed = {}
    for unit in containers:
        built = plan.add(Step(f"build-{unit.service}", DOCKER_IMAGE, (Command(
            ("docker", "build", "-f", dockerfile(unit), "-t", image(unit), STAGE_DIR)),), (stage,)))
        pushed[unit.name] = plan.add(Step(f"push-{unit.service}", DOCKER_IMAGE, (Command(
            ("docker", "push", image(unit))),), (built,)))
    schema_ready: tuple[str, ...] = ()
    if containers and any(u.needs_database for u in units):
        schema_ready = (plan.add(Step("migrate", GCLOUD_IMAGE, (migrate_job(containers[0]),),
                                      (pushed[containers[0].name],))),)
    deployed = []
    for unit in functions:
        deployed.append(plan.add(Step(f"deploy-{unit.service}", GCLOUD_IMAGE, (function_deploy(unit),),
                                      (stage, *schema_ready))))
        if unit.needs_database:
            deployed.append(plan.add(Step(f"sql-{unit.service}", GCLOUD_IMAGE, (function_cloudsql(unit),),
                                          (f"deploy-{unit.service}",))))
    for unit in containers:
        deployed.append(plan.add(Step(f"deploy-{unit.service}", GCLOUD_IMAGE, (container_deploy(unit),),
                                      (pushed[unit.name], *schema_ready))))
    urlmap = plan.add(Step("urlmap", PYTHON_IMAGE, (Command(
        ("python", "-m", "infra.urlmap", "--project={project}", f"--output={URLMAP_FILE}")),), (stage,)))
    backends = plan.add(Step("lb-backends", GCLOUD_IMAGE,
                             tuple(c for unit in units for c in backend_commands(unit)), tuple(deployed)))
    imported = plan.add(Step("lb-urlmap", GCLOUD_IMAGE, (Command(
        ("gcloud", "compute", "url-maps", "import", URLMAP_NAME, f"--source={URLMAP_FILE}", "--global",
         "--quiet")),), (backends, urlmap)))
    plan.add(Step("lb-frontend", GCLOUD_IMAGE, tuple(frontend_commands()), (imported,)))
    return plan.steps
