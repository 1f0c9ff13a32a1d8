"""Reads ``infra/manifest.toml``: the one list of deployable units and their settings."""
from __future__ import annotations

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

    @property
    def source_path(self) -> Path:
        return ROOT / self.source


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
