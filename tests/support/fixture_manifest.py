"""Manifests the tests run the stack from: the bundle's final set of units, and the one the e2e stack uses.

``FIXTURE_MANIFEST`` is ``tests/infra/fixture_manifest.toml`` (the final set); ``e2e_manifest()`` is
``infra/manifest.toml`` once it lists every unit the golden path crosses, else the final set.
"""
from __future__ import annotations

from pathlib import Path

from infra import manifest

FIXTURE_MANIFEST = Path(__file__).resolve().parents[1] / "infra" / "fixture_manifest.toml"
GOLDEN_PATH_UNITS = {"auth", "usage", "agents_execute", "agents_triage", "agents_data", "agents_optimization",
                     "chat"}


def e2e_manifest() -> Path:
    listed = {unit.name for unit in manifest.load()}
    return manifest.MANIFEST if GOLDEN_PATH_UNITS <= listed else FIXTURE_MANIFEST
