"""Every documented operation, driven through the real local stack on SQLite and PostgreSQL: each real answer
must carry a documented status and match the document's schema for that path, method and status.

The cases live in ``cases_*.py``; the coverage test enumerates the document and fails when a
(path, method) or one of its documented statuses has no case, or a case claims an undocumented one.
"""
from __future__ import annotations

import pytest

from tests.openapi import (  # noqa: F401 (register)
    cases_agents,
    cases_auth,
    cases_chat,
    cases_health,
    cases_usage,
)
from tests.openapi.cases import CASES, Case
from tests.openapi.contract import Checked, ContractError

# Answers where the document is right and the code is not (yet): each case runs and must fail with a
# ContractError until the code is fixed; then the strict mark fails the run and must be removed.
CODE_DISAGREES: dict[str, str] = {}


def _param(case: Case):
    reason = CODE_DISAGREES.get(case.id)
    marks = [pytest.mark.xfail(strict=True, raises=ContractError, reason=reason)] if reason else []
    return pytest.param(case, marks=marks, id=case.id)


def documented(document: dict) -> set[tuple[str, str, int]]:
    return {(template, method, int(status)) for template, item in document["paths"].items()
            for method, operation in item.items() for status in operation["responses"]}


def test_every_documented_operation_and_status_has_a_case(document):
    claimed = {(c.template, c.method, c.status) for c in CASES}
    wanted = documented(document)
    assert sorted(claimed - wanted) == [], "cases claim answers the document does not describe"
    assert sorted({(t, m) for t, m, _ in wanted} - {(t, m) for t, m, _ in claimed}) == [], "operations never driven"
    assert sorted(wanted - claimed) == [], "documented statuses never produced"
    assert len({c.id for c in CASES}) == len(CASES), "case names must be unique per operation and status"
    assert set(CODE_DISAGREES) <= {c.id for c in CASES}, "a known disagreement names no case"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_real_answers_match_the_document(case: Case, api):
    case.run(api)
    assert Checked(case.template, case.method, case.status) in api.checked, (
        f"the case never produced {case.status} on {case.method.upper()} {case.template}; saw {api.checked}")
