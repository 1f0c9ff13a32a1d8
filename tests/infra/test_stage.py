"""The staged deploy folder: only what runs, pinned requirements, and (slow) what the buildpack does with it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from infra import manifest, stage
from infra.manifest import ROOT
from tests.support.ports import free_port
from tests.support.processes import stop_process, wait_for_http


def test_stage_copies_only_what_runs(tmp_path):
    target = tmp_path / "deploy"
    files = stage.stage(target)
    rel = {p.relative_to(target).as_posix() for p in files}
    assert {"main.py", "requirements.txt", "functions/__init__.py", "shared/__init__.py",
            "shared/db/migrate.py", "shared/pricing/model_prices.json"} <= rel
    tops = {r.split("/")[0] for r in rel}
    assert tops == {"main.py", "requirements.txt", "functions", "shared"}
    for r in rel:
        parts = r.split("/")
        assert "__pycache__" not in parts and "tests" not in parts and "bench" not in parts, r
        assert not r.endswith((".pyc", ".pyo")) and not parts[-1].startswith("test_"), r
    assert (target / "main.py").read_bytes() == (ROOT / "main.py").read_bytes()
    for unit in manifest.functions():
        assert (target / unit.source).is_file(), unit.source


def test_requirements_are_the_pinned_runtime_dependencies(tmp_path):
    stage.stage(tmp_path / "deploy")
    lines = [ln for ln in (tmp_path / "deploy" / "requirements.txt").read_text().splitlines()
             if ln and not ln.startswith("#")]
    with open(ROOT / "pyproject.toml", "rb") as fh:
        project = tomllib.load(fh)["project"]
    expected = [d for d in project["dependencies"] if not d.startswith("google-cloud-run")]
    assert lines == expected
    assert all("==" in ln for ln in lines)
    dev = {d.split("==")[0] for d in project["optional-dependencies"]["dev"]}
    assert not dev & {ln.split("==")[0] for ln in lines}


def test_unpinned_dependency_is_refused(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["flask>=3"]\n')
    (tmp_path / "main.py").write_text("")
    with pytest.raises(stage.StageError, match="not pinned"):
        stage.stage(tmp_path / "out", root=tmp_path)


def test_busy_target_is_refused(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "leftover.py").write_text("x = 1\n")
    with pytest.raises(stage.StageError, match="not empty"):
        stage.stage(tmp_path / "deploy")


def test_cli_stages_and_the_folder_byte_compiles(tmp_path):
    target = tmp_path / "deploy"
    out = subprocess.run([sys.executable, "-m", "infra.stage", str(target)], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("staged ")
    compiled = subprocess.run([sys.executable, "-m", "compileall", "-q", str(target)], capture_output=True, text=True)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    again = subprocess.run([sys.executable, "-m", "infra.stage", str(target)], cwd=ROOT, capture_output=True,
                           text=True)
    assert again.returncode == 1 and "not empty" in again.stderr


def _base_python() -> str:
    """The interpreter behind this venv: a fresh venv must not inherit our site-packages."""
    candidate = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    return str(candidate if candidate.exists() else Path(sys.base_prefix) / "bin" / "python3")


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_staged_folder_installs_compiles_imports_and_serves_health(tmp_path):
    """What the buildpack does: install requirements.txt alone into a fresh environment,
    byte-compile the upload, load the entry points, and serve each function."""
    target = tmp_path / "deploy"
    stage.stage(target)
    venv = tmp_path / "venv"
    subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PIP_CACHE_DIR"] = str(tmp_path / "pip-cache")  # nothing cached outside tmp
    install = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "-r", str(target / "requirements.txt")],
                             cwd=target, env=env, capture_output=True, text=True, timeout=780)
    assert install.returncode == 0, install.stderr[-3000:]

    compiled = subprocess.run([str(py), "-m", "compileall", "-q", "."], cwd=target, env=env, capture_output=True,
                              text=True)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    shutil.rmtree(tmp_path / "pip-cache", ignore_errors=True)

    units = manifest.functions()
    data = tmp_path / "data"
    run_env = {**env, "TOKENWISE_ENV": "development", "TOKENWISE_DATA_DIR": str(data),
               "DATABASE_URL": f"sqlite:///{data / 'tokenwise.db'}", "JWT_SECRET": "s" * 48}
    names = ",".join(u.entry_point for u in units)
    imported = subprocess.run(
        [str(py), "-c", f"import main, sys; missing = [n for n in '{names}'.split(',') if not callable("
                        f"getattr(main, n, None))]; print(missing); sys.exit(1 if missing else 0)"],
        cwd=target, env=run_env, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stdout + imported.stderr

    migrated = subprocess.run([str(py), "-m", "shared.db.migrate"], cwd=target, env=run_env, capture_output=True,
                              text=True)
    assert migrated.returncode == 0, migrated.stderr[-3000:]

    for unit in units:
        port = free_port()
        proc = subprocess.Popen([str(venv / "bin" / "functions-framework"), "--target", unit.entry_point,
                                 "--source", "main.py", "--host", "127.0.0.1", "--port", str(port)],
                                cwd=target, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            status, body = wait_for_http(f"http://127.0.0.1:{port}{unit.health}", proc,
                                         timeout_s=60, interval_s=0.2, status=None)
            assert status == 200, (unit.name, body)
            health = json.loads(body)
            assert health["status"] == "healthy", (unit.name, health)
            assert health["database_status"] == "connected"
        finally:
            stop_process(proc)
