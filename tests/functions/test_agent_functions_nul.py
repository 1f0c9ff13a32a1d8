"""A question with NUL is refused by the one request parser: 422 on every agent, as on the chat."""
from __future__ import annotations

import pytest

from tests.support.agent_functions import AGENTS
from tests.support.users import create_user


@pytest.mark.parametrize("name", AGENTS)
def test_a_question_with_nul_is_422_on_message(clients, pg_db, name):
    response = clients[name].post(f"/api/agents/{name}", json={"message": "where did\u0000 the money go?"},
                                  headers=create_user().headers)
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "code": "validation_failed", "message": "The request has invalid fields.",
        "details": {"fields": {"message": "must not contain the NUL character (U+0000)"}}}
