"""What is running, and how it drifts from the manifest: ``python -m infra.status --project P --region R``.

For every unit it asks Cloud Run (``run_v2.ServicesClient.get_service``; Cloud
Run functions are Cloud Run services too) for the URL, the ready condition,
the latest ready revision and the image, and flags drift from the manifest:
request timeout, session affinity, concurrency, and (with ``--tag``) the
container image's tag. A unit that is missing, forbidden or not ready is
reported as such, never skipped. The client is built on first use, with the
caller's Application Default Credentials.

Options: ``--project``, ``--region`` (required); ``--tag`` (expected image
tag of container units); ``--json``; ``--manifest PATH``. Exit status 0 when
every unit is ready without drift, 1 otherwise.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from infra import manifest
from infra.manifest import Unit

READY, NOT_READY, MISSING, FORBIDDEN, ERROR = "ready", "not_ready", "missing", "forbidden", "error"


@dataclass
class UnitStatus:
    unit: str
    service: str
    state: str
    url: str = ""
    revision: str = ""
    image: str = ""
    reason: str = ""
    drift: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return self.state == READY and not self.drift


def make_client() -> Any:
    """A real Cloud Run client; imported here so that loading this module needs no Google library."""
    from google.cloud import run_v2
    return run_v2.ServicesClient()


def service_path(project: str, region: str, unit: Unit) -> str:
    return f"projects/{project}/locations/{region}/services/{unit.service}"


def _short(resource: str) -> str:
    return resource.rsplit("/", 1)[-1] if resource else ""


def drift(unit: Unit, service: Any, tag: str | None) -> list[str]:
    """How the deployed service differs from the manifest, one sentence per setting."""
    template = service.template
    found = []
    timeout_s = int(template.timeout.total_seconds()) if template.timeout else 0
    if timeout_s != unit.timeout_s:
        found.append(f"timeout is {timeout_s}s, manifest says {unit.timeout_s}s")
    if bool(template.session_affinity) != unit.session_affinity:
        found.append(f"session affinity is {'on' if template.session_affinity else 'off'}, "
                     f"manifest says {'on' if unit.session_affinity else 'off'}")
    if template.max_instance_request_concurrency != unit.concurrency:
        found.append(f"concurrency is {template.max_instance_request_concurrency}, "
                     f"manifest says {unit.concurrency}")
    if tag and unit.kind == "container":
        image = template.containers[0].image if template.containers else ""
        deployed_tag = image.rsplit(":", 1)[-1] if ":" in image.rsplit("/", 1)[-1] else ""
        if deployed_tag != tag:
            found.append(f"image tag is {deployed_tag or '(none)'}, expected {tag}")
    return found


def inspect(unit: Unit, service: Any, tag: str | None = None) -> UnitStatus:
    from google.cloud import run_v2
    condition = service.terminal_condition
    ready = condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
    reason = "" if ready else (condition.message or condition.state.name)
    containers = service.template.containers
    return UnitStatus(unit=unit.name, service=unit.service, state=READY if ready else NOT_READY, url=service.uri,
                      revision=_short(service.latest_ready_revision),
                      image=containers[0].image if containers else "", reason=reason,
                      drift=drift(unit, service, tag))


def collect(units: list[Unit], project: str, region: str, *, client: Any = None,
            tag: str | None = None) -> list[UnitStatus]:
    from google.api_core import exceptions
    client = client if client is not None else make_client()
    statuses = []
    for unit in units:
        try:
            service = client.get_service(name=service_path(project, region, unit))
        except exceptions.NotFound:
            statuses.append(UnitStatus(unit.name, unit.service, MISSING, reason="not deployed"))
        except exceptions.PermissionDenied as exc:
            statuses.append(UnitStatus(unit.name, unit.service, FORBIDDEN, reason=exc.message or str(exc)))
        except exceptions.GoogleAPICallError as exc:
            statuses.append(UnitStatus(unit.name, unit.service, ERROR, reason=f"{type(exc).__name__}: {exc.message}"))
        else:
            statuses.append(inspect(unit, service, tag))
    return statuses


def table(statuses: list[UnitStatus]) -> str:
    rows = [("UNIT", "STATE", "REVISION", "URL", "IMAGE", "NOTES")]
    for s in statuses:
        notes = "; ".join(([s.reason] if s.reason else []) + [f"drift: {d}" for d in s.drift])
        rows.append((s.unit, s.state, s.revision or "-", s.url or "-", s.image or "-", notes or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    return "\n".join("  ".join(cell.ljust(widths[i]) if i < 5 else cell for i, cell in enumerate(row)).rstrip()
                     for row in rows)


def main(argv: list[str] | None = None, client: Any = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--tag")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--manifest", type=Path, default=manifest.MANIFEST)
    args = parser.parse_args(argv)
    if client is None:
        from google.auth.exceptions import DefaultCredentialsError
        try:
            client = make_client()
        except DefaultCredentialsError as exc:
            print(f"no Google Cloud credentials: {exc} (run `gcloud auth application-default login`)",
                  file=sys.stderr)
            return 2
    statuses = collect(manifest.load(args.manifest), args.project, args.region, client=client, tag=args.tag)
    if args.json:
        print(json.dumps([{**asdict(s), "healthy": s.healthy} for s in statuses], indent=2))
    else:
        print(table(statuses))
    return 0 if all(s.healthy for s in statuses) else 1


if __name__ == "__main__":
    sys.exit(main())
