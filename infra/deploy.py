"""Print every command the deploy runs: ``python -m infra.deploy plan --project P --region R [--tag T]``.

The commands are the Cloud Build steps of ``cloudbuild.yaml`` with the
substitutions filled in, step by step, in order, each with the steps it waits
for; run in that order from a checkout they do what the build does. Nothing
here calls Google Cloud.

Options: ``--project``, ``--region`` (required); ``--tag`` (image tag, default
``latest``), ``--repository`` (``tokenwise``), ``--sql-instance``
(``tokenwise``), ``--service-account`` (``tokenwise-runtime``), ``--domain``
(none: HTTP only), ``--manifest PATH``.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from infra import manifest
from infra.cloudbuild import DEFAULTS
from infra.manifest import Unit
from infra.steps import filler, steps

_NAME = re.compile(r"[a-z][-a-z0-9]*[a-z0-9]")
_VALUE = re.compile(r"[A-Za-z0-9][-A-Za-z0-9._]*")


def plan_lines(units: list[Unit], values: dict[str, str]) -> list[str]:
    fill = filler(values)
    lines = []
    for step in steps(units):
        after = f" (after {', '.join(step.wait_for)})" if step.wait_for else ""
        lines.append(f"# step {step.id}{after}")
        lines.extend(command.shell(fill) for command in step.commands)
    return lines


def _checked(value: str, pattern: re.Pattern, what: str) -> str:
    if not pattern.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{what} {value!r} has characters a resource name cannot hold")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    plan = sub.add_parser("plan", help="print the deploy's commands")
    plan.add_argument("--project", required=True, type=lambda v: _checked(v, _NAME, "project"))
    plan.add_argument("--region", required=True, type=lambda v: _checked(v, _NAME, "region"))
    plan.add_argument("--tag", default="latest", type=lambda v: _checked(v, _VALUE, "tag"))
    plan.add_argument("--repository", default=DEFAULTS["_REPOSITORY"], type=lambda v: _checked(v, _NAME, "repository"))
    plan.add_argument("--sql-instance", default=DEFAULTS["_SQL_INSTANCE"],
                      type=lambda v: _checked(v, _NAME, "sql instance"))
    plan.add_argument("--service-account", default=DEFAULTS["_SERVICE_ACCOUNT"],
                      type=lambda v: _checked(v, _NAME, "service account"))
    plan.add_argument("--domain", default="", type=lambda v: _checked(v, _VALUE, "domain") if v else v)
    plan.add_argument("--manifest", type=Path, default=manifest.MANIFEST)
    args = parser.parse_args(argv)
    values = {"project": args.project, "region": args.region, "tag": args.tag, "repository": args.repository,
              "sql_instance": args.sql_instance, "service_account": args.service_account, "domain": args.domain}
    print("\n".join(plan_lines(manifest.load(args.manifest), values)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
