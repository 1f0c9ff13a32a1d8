"""A real token whose account has been deleted: 401 user_not_found on import and demo, nothing stored."""
from __future__ import annotations

from sqlalchemy import delete

from shared.db import transaction
from shared.db.schema import users
from tests.support.usage_import import post_import, to_csv
from tests.usage.test_import_formats import OURS, ours, stored

GONE = {"code": "user_not_found", "message": "The account of this token no longer exists.", "details": {}}


def test_import_and_demo_answer_401_user_not_found(client, make_user):
    user = make_user()
    with transaction() as conn:
        conn.execute(delete(users).where(users.c.id == user.id))
    imported = post_import(client, user, to_csv([ours("gone-1")], OURS))
    demo = client.post("/api/usage/demo", json={"rows": 10}, headers=user.headers)
    for response in (imported, demo):
        assert response.status_code == 401
        assert response.get_json()["error"] == GONE
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="tokenwise"'
    assert stored(user.id) == {}
