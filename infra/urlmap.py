"""The load balancer's URL map from the manifest: ``python -m infra.urlmap --project P [--output FILE]``.

One host serves every unit, routed as the local stack routes: a unit's prefix
``/p`` owns ``/p`` and everything under ``/p/``; the longest prefix wins; the
unit that owns ``/`` (the chat container) is the default for every other path.
The document is the import format of ``gcloud compute url-maps import``,
written as JSON (valid YAML). Options: ``--project`` (required), ``--output``
(default stdout), ``--manifest PATH``.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from infra import manifest
from infra.manifest import Unit
from infra.steps import URLMAP_NAME, backend_name

PATH_MATCHER = "tokenwise"


def backend_url(project: str, unit: Unit) -> str:
    return f"https://www.googleapis.com/compute/v1/projects/{project}/global/backendServices/{backend_name(unit)}"


def default_unit(units: list[Unit]) -> Unit:
    """The unit that owns ``/``; without one, the first container, else the first unit."""
    for unit in units:
        if "/" in unit.paths:
            return unit
    containers = [u for u in units if u.kind == "container"]
    return (containers or units)[0]


def path_rules(units: list[Unit], project: str) -> list[dict]:
    owners: dict[str, str] = {}
    rules = []
    for unit in units:
        paths = []
        for prefix in unit.paths:
            prefix = prefix.rstrip("/")
            if not prefix:
                continue  # "/" is the default service, not a rule
            if prefix in owners:
                raise ValueError(f"{prefix} is claimed by both {owners[prefix]} and {unit.name}")
            owners[prefix] = unit.name
            paths += [prefix, prefix + "/*"]
        if paths:
            rules.append({"paths": paths, "service": backend_url(project, unit)})
    return rules


def document(units: list[Unit], project: str) -> dict:
    if not units:
        raise ValueError("the manifest has no units")
    default = backend_url(project, default_unit(units))
    return {
        "name": URLMAP_NAME,
        "defaultService": default,
        "hostRules": [{"hosts": ["*"], "pathMatcher": PATH_MATCHER}],
        "pathMatchers": [{"name": PATH_MATCHER, "defaultService": default,
                          "pathRules": path_rules(units, project)}],
    }


def resolve(doc: dict, path: str) -> str:
    """The backend service a request path reaches, by the URL map's rules: an exact
    path or a ``/*`` prefix, the longest pattern first, else the default."""
    matcher = doc["pathMatchers"][0]
    best, best_rank = matcher["defaultService"], (-1, False)
    for rule in matcher["pathRules"]:
        for pattern in rule["paths"]:
            wildcard = pattern.endswith("/*")
            hit = path.startswith(pattern[:-1]) if wildcard else path == pattern
            # the longer prefix wins; for the same prefix an exact path beats its /*
            rank = (len(pattern) - 2 if wildcard else len(pattern), not wildcard)
            if hit and rank > best_rank:
                best, best_rank = rule["service"], rank
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--output", type=Path)
    parser.add_argument("--manifest", type=Path, default=manifest.MANIFEST)
    args = parser.parse_args(argv)
    body = json.dumps(document(manifest.load(args.manifest), args.project), indent=2) + "\n"
    if args.output:
        args.output.write_text(body)
    else:
        sys.stdout.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
