"""Manifests for the stack's tests: test units beside real ones, written as TOML the stack reads."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from infra import manifest
from infra.manifest import Unit
from tests.support.fixture_manifest import FIXTURE_MANIFEST

BASE = dict(memory="512Mi", cpu="1", timeout_s=60, concurrency=8, min_instances=0, max_instances=1,
            needs_database=False)


def function_unit(name: str, entry_point: str, source: str, paths: list[str]) -> Unit:
    return Unit(name=name, kind="function", entry_point=entry_point, source=source, paths=tuple(paths), **BASE)


def container_unit(name: str, entry_point: str, paths: list[str], command: str = "") -> Unit:
    return Unit(name=name, kind="container", entry_point=entry_point, source="tests/stack/units/root_app.py",
                paths=tuple(paths), command=command, health_path="/health", **BASE)


def final_unit(name: str) -> Unit:
    """A unit exactly as the bundle's final manifest declares it (the chat container, auth...)."""
    return next(u for u in manifest.load(FIXTURE_MANIFEST) if u.name == name)


ECHO = function_unit("echo", "stack_echo", "tests/stack/units/echo/main.py", ["/api/echo"])
ECHO_DEEP = function_unit("echo_deep", "stack_echo_deep", "tests/stack/units/echo/main.py", ["/api/echo/deep"])
BROKEN = function_unit("broken", "stack_broken", "tests/stack/units/broken/main.py", ["/api/broken"])
ROOT_APP = container_unit("root_app", "tests.stack.units.root_app:create_app()", ["/"])
MISSING_ROOT = container_unit("root_app", "tests.stack.units.no_such_module:create_app()", ["/"])


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def write(path: Path, units: list[Unit]) -> Path:
    lines = []
    for unit in units:
        lines.append("[[unit]]")
        lines += [f"{f.name} = {_toml(getattr(unit, f.name))}" for f in dataclasses.fields(unit)]
        lines.append("")
    path.write_text("\n".join(lines))
    assert [u.name for u in manifest.load(path)] == [u.name for u in units]  # it reads back as written
    return path
