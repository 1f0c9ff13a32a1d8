"""Reads ``infra/manifest.toml``: the one list of deployable units and their settings.

Optional unit fields (defaults in brackets): ``command`` (a container's start
command, shell form so ``$PORT`` expands) [""], ``session_affinity`` [false],
``health_path`` [first path + "/health"].
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = Path(__file__).with_name("manifest.toml")
ROOT = MANIFEST.parent.parent


@dataclass(frozen=True)
class Unit:
    name: str
    kind: str  # "function" | "container"
    entry_point: str
    source: str
    paths: tuple[str, ...]
    memory: str
    cpu: str
    timeout_s: int
    concurrency: int
    min_instances: int
    max_instances: int
    needs_database: bool
    env: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    command: str = ""
    session_affinity: bool = False
    health_path: str = ""

    @property
    def source_path(self) -> Path:
        return ROOT / self.source

    @property
    def service(self) -> str:
        """The cloud name (Cloud Run service / function): Cloud Run names allow no underscores."""
        name = self.name.lower().replace("_", "-")
        if not _SERVICE_NAME.fullmatch(name):
            raise ValueError(f"unit name {self.name!r} cannot become a Cloud Run service name")
        return name

    @property
    def health(self) -> str:
        return self.health_path or self.paths[0].rstrip("/") + "/health"


_SERVICE_NAME = re.compile(r"[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?")


def load(path: Path = MANIFEST) -> list[Unit]:
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    units = []
    for entry in raw.get("unit", []):
        entry = dict(entry)
        entry["paths"] = tuple(entry["paths"])
        entry["secrets"] = tuple(entry.get("secrets", ()))
        units.append(Unit(**entry))
    names = [u.name for u in units]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate unit names in {path}")
    return units


def functions(units: list[Unit] | None = None) -> list[Unit]:
    return [u for u in (units if units is not None else load()) if u.kind == "function"]
