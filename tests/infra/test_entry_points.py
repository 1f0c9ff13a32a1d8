"""Every function of the manifest is re-exported by the root main.py (read with ast, never imported)."""
from __future__ import annotations

import ast

from infra import manifest
from infra.manifest import ROOT


def root_imports() -> dict[str, str]:
    """``{exported name: module}`` for every ``from functions.X.main import name`` in the root main.py."""
    tree = ast.parse((ROOT / "main.py").read_text())
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("functions."):
            for alias in node.names:
                found[alias.asname or alias.name] = node.module
    return found


def defines_function(path, name: str) -> bool:
    tree = ast.parse(path.read_text())
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name for node in tree.body)


def test_every_manifest_function_is_exported_from_its_own_source(real_units):
    exported = root_imports()
    for unit in manifest.functions(real_units):
        module = unit.source.removesuffix(".py").replace("/", ".")
        assert exported.get(unit.entry_point) == module, \
            f"main.py must have `from {module} import {unit.entry_point}`"
        assert unit.source_path.is_file(), unit.source
        # functions-framework registers a function by __name__: the entry point is the real name
        assert defines_function(unit.source_path, unit.entry_point), (unit.source, unit.entry_point)


def test_main_exports_nothing_the_manifest_does_not_deploy(real_units):
    deployed = {u.entry_point for u in manifest.functions(real_units)}
    assert set(root_imports()) <= deployed


def test_final_units_follow_the_layout(fixture_units):
    for unit in fixture_units:
        if unit.kind == "function":
            assert unit.source == f"functions/{unit.name}/main.py"
            assert unit.entry_point == unit.name
        else:
            assert unit.command and unit.health_path
    assert [u.service for u in fixture_units] == ["auth", "usage", "agents-execute", "agents-triage", "agents-data",
                                                  "agents-optimization", "chat"]
