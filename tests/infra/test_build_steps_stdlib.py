"""The build's python steps run in a bare python image: staging and the URL map need only the standard library."""
from __future__ import annotations

import json
import subprocess
import sys

from infra import local_stack, manifest
from infra.manifest import ROOT
from tests.support.fixture_manifest import FIXTURE_MANIFEST


def test_stage_and_urlmap_run_without_site_packages(tmp_path):
    bare = [sys.executable, "-S", "-m"]  # -S: no site-packages, as in python:3.12-slim before any install
    staged = subprocess.run([*bare, "infra.stage", str(tmp_path / "deploy")], cwd=ROOT, capture_output=True,
                            text=True)
    assert staged.returncode == 0, staged.stderr
    mapped = subprocess.run([*bare, "infra.urlmap", "--project=acme", f"--manifest={FIXTURE_MANIFEST}"], cwd=ROOT,
                            capture_output=True, text=True)
    assert mapped.returncode == 0, mapped.stderr
    assert json.loads(mapped.stdout)["name"] == "tokenwise-urlmap"


def test_local_stack_mounts_every_function_of_the_manifest(real_units, fixture_units):
    stack = local_stack.build(real_units)
    assert [m.unit.name for m in stack.mounted] == [u.name for u in manifest.functions(real_units)]
    assert [(m.unit.name, m.error) for m in stack.mounted if m.app is None] == []
    # the final set: every function gets its routes, loaded or contained as failed
    final = local_stack.Dispatcher([local_stack.Mounted(u, None, "not loaded") for u in fixture_units])
    for unit in fixture_units:
        for prefix in unit.paths:
            assert final.match(prefix if prefix != "/" else "/index.html").unit.name == unit.name
