"""Every function of the manifest is reachable from the root main.py (read with ast, never imported here)."""
from __future__ import annotations

import ast
import os
import subprocess
import sys

from infra import manifest
from infra.manifest import ROOT


def root_imports() -> dict[str, str]:
    """``{entry point: module}`` from the ``UNITS`` table of the root main.py."""
    tree = ast.parse((ROOT / "main.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == ["UNITS"]:
            return ast.literal_eval(node.value)
    raise AssertionError("main.py has no UNITS table")


def defines_function(path, name: str) -> bool:
    tree = ast.parse(path.read_text())
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name for node in tree.body)


def test_every_manifest_function_is_exported_from_its_own_source(real_units):
    exported = root_imports()
    for unit in manifest.functions(real_units):
        module = unit.source.removesuffix(".py").replace("/", ".")
        assert exported.get(unit.entry_point) == module, \
            f"main.py UNITS must map {unit.entry_point!r} to {module!r}"
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


def test_root_main_loads_only_the_unit_asked_for(tmp_path):
    """functions-framework asks the root module for one target: only that unit's module is imported."""
    script = (
        "import sys, functions_framework\n"
        "functions_framework.create_app(target='auth', source='main.py')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('functions.') and m.endswith('.main'))\n"
        "print(loaded)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TOKENWISE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "['functions.auth.main']"


def test_root_main_refuses_an_unknown_entry_point(tmp_path):
    script = ("import functions_framework\n"
              "functions_framework.create_app(target='nope', source='main.py')\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            env={**os.environ, "TOKENWISE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "MissingTargetException" in result.stderr
