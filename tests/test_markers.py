"""``-m postgres`` and ``-m "not postgres"`` split the suite exactly: the mark is there at collection.

A mark added while a fixture sets up comes too late for ``-m``; these run pytest's own collection in a
subprocess over files that reach PostgreSQL each way: the parametrised ``database``, ``pg_db`` alone, the
PostgreSQL e2e stack as a parameter and as a fixture.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys

from infra.manifest import ROOT

FILES = ["tests/functions/test_agent_functions.py", "tests/agents/test_statements.py",
         "tests/e2e/test_message.py", "tests/e2e/test_database_outage.py"]
# The id of a test parametrised with PostgreSQL: ``[postgresql]``, ``[postgresql-x]``, ``[x-postgresql-stack]``...
POSTGRESQL_PARAMETER = re.compile(r"[\[-]postgresql(-stack)?[-\]]")
# Tests that reach PostgreSQL through a fixture, with no parameter to show it.
THROUGH_FIXTURES = {
    "tests/agents/test_statements.py::test_postgresql_runs_each_statement_on_its_own_connection",
    "tests/agents/test_statements.py::test_every_connection_is_returned_when_the_caller_fails",
    "tests/agents/test_statements.py::test_a_pool_of_one_connection_runs_them_in_turn",
    "tests/e2e/test_database_outage.py::test_the_chat_survives_a_database_outage_and_saves_the_conversation_afterwards",
}


def collected(expression: str) -> set[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                             "-m", expression, *FILES], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return {line for line in result.stdout.splitlines() if "::" in line}


def on_postgresql(test_id: str) -> bool:
    return bool(POSTGRESQL_PARAMETER.search(test_id)) or test_id in THROUGH_FIXTURES


def test_not_postgres_collects_no_postgresql_test():
    selected = collected("not postgres")
    assert [test_id for test_id in selected if on_postgresql(test_id)] == []
    assert "tests/functions/test_agent_functions.py::test_triage[sqlite]" in selected
    assert ("tests/e2e/test_message.py::test_a_question_streams_the_agents_and_answers_with_the_execute_functions"
            "_figures[stack]") in selected


def test_postgres_collects_only_and_every_postgresql_test():
    selected = collected("postgres")
    assert [test_id for test_id in selected if not on_postgresql(test_id)] == []
    assert THROUGH_FIXTURES <= selected
    assert "tests/functions/test_agent_functions.py::test_triage[postgresql]" in selected
    assert "tests/functions/test_agent_functions.py::test_health[postgresql-execute]" in selected
    assert ("tests/e2e/test_message.py::test_a_question_streams_the_agents_and_answers_with_the_execute_functions"
            "_figures[postgresql-stack]") in selected
