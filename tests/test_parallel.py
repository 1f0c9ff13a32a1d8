"""Under pytest-xdist the tests that share stack processes run on one worker; the others go anywhere."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import defaultdict

from infra.manifest import ROOT
from tests.support.parallel import STACK_PROCESSES, scope_of


def test_the_e2e_and_browser_folders_are_one_group():
    assert scope_of("tests/e2e/test_message.py::test_a_question[postgresql-stack]") == STACK_PROCESSES
    assert scope_of("tests/web/test_golden_path.py::test_the_golden_path_in_a_browser") == STACK_PROCESSES
    assert scope_of("tests/db/test_url_forms.py::test_sqlite_urls_become_sqlite3_arguments[a]") is None
    assert scope_of("tests/webhooks/test_x.py::test_y") is None


def test_two_workers_keep_the_group_on_one_of_them():
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    env["PYTHONPATH"] = str(ROOT)
    # the page's in-process tests (no stack process, no browser) stand for the group; URL parsing for the rest
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup",
                             "-v", "tests/web/test_page_routes.py", "tests/db/test_url_forms.py",
                             "-k", "not production and not deploy_folder"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    workers: dict[str, set[str]] = defaultdict(set)
    for worker, nodeid in re.findall(r"^\[(gw\d+)\] .*?PASSED (\S+)", result.stdout, re.M):
        workers[nodeid.split("::")[0]].add(worker)
    assert workers["tests/web/test_page_routes.py"] and len(workers["tests/web/test_page_routes.py"]) == 1, workers
    assert workers["tests/db/test_url_forms.py"], workers
