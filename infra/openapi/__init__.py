"""An OpenAPI 3 description of every HTTP endpoint of the bundle: ``openapi.document()``,
or ``python -m infra.openapi [--manifest PATH]`` to print it as JSON.

Operations are described per unit (``x-tokenwise-unit``); the document holds
those of the units the manifest deploys, plus each unit's ``/health`` and
``/health/ready`` at the path the manifest gives. Every error answers the one
body of ``shared/errors.py``. The local stack serves it at ``GET /openapi.json``.
Options: ``units`` (default: the manifest's).
"""
from __future__ import annotations

from infra import manifest
from infra.manifest import Unit
from infra.openapi.paths import OPERATIONS, error_responses, health_operations, operation
from infra.openapi.schemas import SCHEMAS
from shared import __version__

OPENAPI_VERSION = "3.0.3"


def document(units: list[Unit] | None = None) -> dict:
    units = units if units is not None else manifest.load()
    names = {u.name for u in units}
    paths: dict[str, dict] = {}
    for op in OPERATIONS:
        if op.unit in names:
            paths.setdefault(op.path, {})[op.method] = operation(op)
    for unit in units:
        for path, item in health_operations(unit.name, unit.health).items():
            paths.setdefault(path, {}).update(item)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "Tokenwise", "version": __version__,
                 "description": "Where a team's LLM token spend goes, and how to spend less. One host routes "
                                "every path prefix to its unit, locally and behind the cloud load balancer."},
        "servers": [{"url": "/"}],
        "tags": [{"name": u.name, "description": f"{u.kind} unit at {', '.join(u.paths)}"} for u in units],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": SCHEMAS,
            "responses": error_responses(),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def main(argv: list[str] | None = None) -> int:
    import argparse
    import json
    from pathlib import Path
    parser = argparse.ArgumentParser(description="Print the OpenAPI document as JSON.")
    parser.add_argument("--manifest", type=Path, default=manifest.MANIFEST)
    args = parser.parse_args(argv)
    print(json.dumps(document(manifest.load(args.manifest)), indent=2))
    return 0
