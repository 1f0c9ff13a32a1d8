"""Modules load in one direction: no import cycles, a pure health module, a stand-alone bench toolkit.

The import graph is read with ``ast`` from every import statement of ``shared``, ``functions`` and
``bench``, also those inside functions: a lazy import only hides a cycle until the function runs
(``if TYPE_CHECKING:`` blocks never run and are left out). The promises that matter at run time
are also checked in a fresh interpreter.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from infra.manifest import ROOT

PACKAGES = ("shared", "functions", "bench")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in (ROOT / package).rglob("*.py")
            if "migrations" not in path.parts}


class _Imports(ast.NodeVisitor):
    """Every module an import statement may load, at module level or inside a function (a lazy
    import still makes the two modules depend on each other), skipping ``if TYPE_CHECKING:``.
    ``from pkg import sub`` needs ``pkg.sub``; ``from pkg import name`` needs ``pkg``'s own code."""

    def __init__(self, importer: str, is_package: bool, modules: set[str]):
        self.package = importer if is_package else importer.rpartition(".")[0]
        self.modules = modules
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        if "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(alias.name for alias in node.names)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:  # relative: resolve against the importer's package
            package = self.package
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{node.module}" if node.module else package
        self.found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in self.modules else base
                          for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imports = _Imports(name, path.name == "__init__.py", set(modules))
        imports.visit(ast.parse(path.read_text()))
        graph[name] = {target for target in imports.found if target in modules and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _fresh_import(statement: str) -> set[str]:
    """The modules loaded by ``statement`` in a new interpreter started at the repository root."""
    script = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_the_graph_sees_lazy_imports_but_not_type_only_ones():
    source = """
from typing import TYPE_CHECKING
from pkg import sub, name
from .sibling import thing
import other.mod
if TYPE_CHECKING:
    from typed import Only
def later():
    from lazy.mod import call
"""
    imports = _Imports("pkg.here", False, {"pkg.sub", "pkg.sibling"})
    imports.visit(ast.parse(source))
    assert imports.found == {"typing", "pkg.sub", "pkg", "pkg.sibling", "other.mod", "lazy.mod"}
    graph = import_graph()
    assert "shared.errors" in graph["shared.http"]
    assert "functions.auth.flows" in graph["functions.auth.main"]  # inside _service


def test_no_import_cycles_in_shared_functions_or_bench():
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_health_is_pure():
    loaded = _fresh_import("import shared.health")
    assert not {"shared.http", "flask", "werkzeug", "sqlalchemy", "shared.db.engine"} & loaded


def test_bench_common_stands_alone():
    loaded = _fresh_import("import bench.common")
    assert not {name for name in loaded if name.split(".")[0] in ("tests", "shared", "functions", "infra")}


def test_one_home_for_each_bench_helper():
    helpers = {"free_port", "wait_for_port", "percentile", "pg_url", "cpu_seconds"}
    defined = {}
    for path in (ROOT / "bench").glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and (node.name in helpers or node.name == "_pg_url"):
                defined.setdefault(node.name, []).append(path.name)
    assert defined == {name: ["common.py"] for name in helpers}
