"""POST /api/usage/demo: loads the caller's demo records once, answers like an import, refuses bad bodies,
stays off in production unless allowed, and reports what was committed when the database fails part-way."""
from __future__ import annotations

import os
import threading
import time
import uuid

import functions_framework
import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.engine import make_url

from shared.db import reset_engine, transaction
from shared.db.schema import usage_records, users
from shared.demo import DEFAULT_ROWS, generate_rows
from tests.support.database import PG_URL
from tests.support.proxy import Proxy
from tests.support.usage_import import USAGE_SOURCE
from tests.support.users import create_user
from tests.usage.test_import_outage import Direct

URL = "/api/usage/demo"


def stored(user_id: str) -> int:
    with transaction() as conn:
        return conn.execute(select(func.count()).select_from(usage_records)
                            .where(usage_records.c.user_id == user_id)).scalar_one()


def stored_request_ids(user_id: str) -> set[str]:
    with transaction() as conn:
        return set(conn.execute(select(usage_records.c.request_id).where(usage_records.c.user_id == user_id))
                   .scalars())


def post_demo(client, user, body=None, **kwargs):
    return client.post(URL, json=body, headers=user.headers, **kwargs)


def import_shape(imported: int, duplicates: int, rows: int) -> dict:
    return {"imported": imported, "duplicates": duplicates, "rejected": 0, "errors": [], "errors_truncated": False,
            "format": "demo", "rows": rows, "cost_sources": {"computed": rows}, "unpriced_models": {}, "seed": 7,
            "days": 30}


def test_loads_the_demo_records_and_a_second_call_stores_nothing_twice(client, make_user):
    user = make_user("demo")
    first = post_demo(client, user, {"rows": 300})
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json() == import_shape(300, 0, 300)
    assert stored_request_ids(user.id) == {row["request_id"] for row in generate_rows(300)}

    second = post_demo(client, user, {"rows": 300})
    assert second.status_code == 200
    assert second.get_json() == import_shape(0, 300, 300)
    assert stored(user.id) == 300

    more = post_demo(client, user, {"rows": 450})
    assert more.status_code == 200
    assert more.get_json() == import_shape(150, 300, 450)
    assert stored(user.id) == 450


def test_an_empty_body_loads_the_default_count(client, make_user):
    user = make_user("demo-default")
    response = client.post(URL, headers=user.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["rows"], body["imported"], body["duplicates"]) == (DEFAULT_ROWS, DEFAULT_ROWS, 0)
    assert stored(user.id) == DEFAULT_ROWS


def test_each_user_gets_their_own_copy(client, make_user):
    alice, bob = make_user("demo-a"), make_user("demo-b")
    assert post_demo(client, alice, {"rows": 120}).get_json()["imported"] == 120
    response = post_demo(client, bob, {"rows": 80})
    assert response.get_json() == import_shape(80, 0, 80)
    assert (stored(alice.id), stored(bob.id)) == (120, 80)


@pytest.mark.parametrize("rows", [0, -1, 200_001, "100", True, 1.5, None, [10]])
def test_a_bad_row_count_is_422_and_stores_nothing(client, make_user, rows):
    user = make_user("demo-bad")
    response = post_demo(client, user, {"rows": rows})
    assert response.status_code == 422
    assert response.get_json() == {"error": {"code": "validation_failed", "message": "The request has invalid fields.",
                                             "details": {"fields": {"rows": "an integer from 1 to 200000"}}}}
    assert stored(user.id) == 0


def test_an_unknown_field_is_422(client, make_user):
    user = make_user("demo-field")
    response = post_demo(client, user, {"rows": 10, "seed": 3})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"fields": {"seed": "unknown field"}}
    assert stored(user.id) == 0


def test_bodies_that_are_not_a_small_json_object(client, make_user):
    user = make_user("demo-body")
    cases = [
        ({"data": b"rows=10", "content_type": "text/plain"}, 415, "unsupported_media_type"),
        ({"data": b"{rows: 10}", "content_type": "application/json"}, 400, "invalid_json"),
        ({"data": b"[10]", "content_type": "application/json"}, 400, "invalid_json"),
        ({"data": b'{"rows": 10, "pad": "' + b"x" * 2000 + b'"}', "content_type": "application/json"}, 413,
         "payload_too_large"),
    ]
    for kwargs, status, code in cases:
        response = client.post(URL, headers=user.headers, **kwargs)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), kwargs
    assert stored(user.id) == 0


def test_without_a_valid_token_it_is_401(client, make_user):
    make_user("demo-anon")
    missing = client.post(URL, json={"rows": 10})
    assert (missing.status_code, missing.get_json()["error"]["code"]) == (401, "missing_token")
    response = client.post(URL, json={"rows": 10}, headers={"Authorization": "Bearer not-a-token"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "malformed_token"


def test_a_token_whose_account_is_gone_is_401_user_not_found(client, make_user):
    user = make_user("demo-gone")
    with transaction() as conn:
        conn.execute(delete(users).where(users.c.id == user.id))
    response = post_demo(client, user, {"rows": 10})
    assert (response.status_code, response.get_json()["error"]["code"]) == (401, "user_not_found")
    assert stored(user.id) == 0


def test_production_refuses_it_unless_allowed(database, make_user):
    user = make_user("demo-prod")
    os.environ["TOKENWISE_ENV"] = "production"
    client = functions_framework.create_app(target="usage", source=USAGE_SOURCE).test_client()
    refused = post_demo(client, user, {"rows": 10})
    assert refused.status_code == 403
    assert refused.get_json() == {"error": {"code": "demo_disabled", "details": {},
                                            "message": "Demo data is disabled on this deployment."}}
    assert stored(user.id) == 0
    os.environ["TOKENWISE_ALLOW_DEMO"] = "0"
    assert post_demo(client, user, {"rows": 10}).status_code == 403
    os.environ["TOKENWISE_ALLOW_DEMO"] = "1"
    allowed = post_demo(client, user, {"rows": 10})
    assert allowed.status_code == 200
    assert allowed.get_json() == import_shape(10, 0, 10)


def test_production_still_checks_the_token_first(database):
    os.environ["TOKENWISE_ENV"] = "production"
    client = functions_framework.create_app(target="usage", source=USAGE_SOURCE).test_client()
    assert client.post(URL, json={"rows": 10}).status_code == 401


@pytest.mark.postgres
def test_a_database_lost_part_way_is_503_with_what_was_committed_and_a_second_call_finishes(pg_db):
    upstream = make_url(PG_URL)
    proxy = Proxy((upstream.host or "127.0.0.1", upstream.port or 5432))
    direct = Direct(pg_db.schema)
    os.environ.update({"DATABASE_URL": proxy.url_for(PG_URL), "DB_CONNECT_TIMEOUT_S": "2", "DB_BACKOFF_MAX_S": "0.5",
                       "USAGE_IMPORT_BATCH_ROWS": "100"})
    reset_engine()
    try:
        user = create_user(f"demo-cut-{uuid.uuid4().hex[:6]}")
        client = functions_framework.create_app(target="usage", source=USAGE_SOURCE).test_client()

        def cut_after_two_batches():
            deadline = time.monotonic() + 30
            while direct.count(user.id) < 200 and time.monotonic() < deadline:
                time.sleep(0.005)
            proxy.cut()

        cutter = threading.Thread(target=cut_after_two_batches)
        cutter.start()
        response = post_demo(client, user, {"rows": 3000})
        cutter.join()
        assert response.status_code == 503, response.get_data(as_text=True)
        error = response.get_json()["error"]
        assert error["code"] == "database_unavailable"
        committed = error["details"]["committed"]
        assert committed["imported"] == direct.count(user.id)
        assert 200 <= committed["imported"] < 3000
        assert committed["through_row"] == committed["imported"]

        proxy.restore()
        deadline = time.monotonic() + 10
        while client.get("/api/usage/health/ready").status_code != 200:  # the DB layer backs off a moment
            assert time.monotonic() < deadline, "the database never came back"
            time.sleep(0.1)
        finished = post_demo(client, user, {"rows": 3000})
        assert finished.status_code == 200, finished.get_data(as_text=True)
        assert finished.get_json() == import_shape(3000 - committed["imported"], committed["imported"], 3000)
        assert direct.count(user.id) == 3000
    finally:
        proxy.close()
        direct.engine.dispose()
