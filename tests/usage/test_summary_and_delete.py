"""Summary figures computed by hand, range bounds, deletion, and isolation between users."""
from __future__ import annotations

import pytest

from tests.support.usage_import import post_import, to_csv
from tests.usage.test_import_formats import OURS, ours, stored

ROWS = [
    ours("s-1", timestamp="2026-11-01T00:00:00Z", model="gpt-4o-mini", provider="openai", feature="chat",
         prompt_tokens=100, completion_tokens=10, cost_usd="1.0"),
    ours("s-2", timestamp="2026-11-01T23:59:59Z", model="gpt-4o-mini", provider="openai", feature="search",
         prompt_tokens=200, completion_tokens=20, cached_tokens=50, cost_usd="2.0", status="error"),
    ours("s-3", timestamp="2026-11-02T12:00:00Z", model="claude-haiku-4-5", provider="anthropic",
         feature="chat", prompt_tokens=300, completion_tokens=30, cost_usd="4.0"),
    ours("s-4", timestamp="2026-11-03T00:00:00Z", model="acme-7b", provider="acme", feature="chat",
         prompt_tokens=400, completion_tokens=40),
]


def measures(requests, cost, prompt, completion, cached=0, errors=0, unpriced=0):
    return {"requests": requests, "records": requests, "cost_usd": cost, "prompt_tokens": prompt,
            "completion_tokens": completion, "cached_tokens": cached, "errors": errors,
            "unpriced_requests": unpriced}


@pytest.fixture
def loaded(client, make_user):
    user = make_user()
    assert post_import(client, user, to_csv(ROWS, OURS)).get_json()["imported"] == 4
    return user


def test_summary_totals_and_breakdowns(client, loaded):
    response = client.get("/api/usage/summary", headers=loaded.headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["range"] == {"start": None, "end": None}
    assert body["totals"] == measures(4, 7.0, 1000, 100, cached=50, errors=1, unpriced=1)
    assert body["by_model"] == [
        {"model": "claude-haiku-4-5", "provider": "anthropic", **measures(1, 4.0, 300, 30)},
        {"model": "gpt-4o-mini", "provider": "openai", **measures(2, 3.0, 300, 30, cached=50, errors=1)},
        {"model": "acme-7b", "provider": "acme", **measures(1, 0.0, 400, 40, unpriced=1)},
    ]
    assert body["by_provider"] == [
        {"provider": "anthropic", **measures(1, 4.0, 300, 30)},
        {"provider": "openai", **measures(2, 3.0, 300, 30, cached=50, errors=1)},
        {"provider": "acme", **measures(1, 0.0, 400, 40, unpriced=1)},
    ]
    assert body["by_feature"] == [
        {"feature": "chat", **measures(3, 5.0, 800, 80, unpriced=1)},
        {"feature": "search", **measures(1, 2.0, 200, 20, cached=50, errors=1)},
    ]
    assert body["by_day"] == [
        {"day": "2026-11-01", **measures(2, 3.0, 300, 30, cached=50, errors=1)},
        {"day": "2026-11-02", **measures(1, 4.0, 300, 30)},
        {"day": "2026-11-03", **measures(1, 0.0, 400, 40, unpriced=1)},
    ]


def test_range_includes_start_and_excludes_end(client, loaded):
    response = client.get("/api/usage/summary?start=2026-11-01T23:59:59Z&end=2026-11-03",
                          headers=loaded.headers)
    body = response.get_json()
    assert body["range"] == {"start": "2026-11-01T23:59:59+00:00", "end": "2026-11-03T00:00:00+00:00"}
    assert body["totals"] == measures(2, 6.0, 500, 50, cached=50, errors=1)
    offset = client.get("/api/usage/summary?start=2026-11-02T13:00:00%2B01:00", headers=loaded.headers)
    assert offset.get_json()["totals"]["requests"] == 2  # 12:00 UTC is included
    assert offset.get_json()["range"]["start"] == "2026-11-02T12:00:00+00:00"


@pytest.mark.parametrize("query, fields", [
    ("start=last-week", {"start": "is not a valid ISO 8601 datetime"}),
    ("end=2026-13-01", {"end": "is not a valid ISO 8601 date (YYYY-MM-DD)"}),
    ("start=0001-01-01T00:00:00%2B01:00", {"start": "is out of the representable range in UTC"}),
    ("start=2026-11-03&end=2026-11-03", {"end": "must be after start"}),
    ("start=2026-11-04&end=2026-11-03", {"end": "must be after start"}),
])
def test_bad_ranges_are_422(client, loaded, query, fields):
    response = client.get(f"/api/usage/summary?{query}", headers=loaded.headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_failed"
    assert response.get_json()["error"]["details"] == {"fields": fields}


def test_summary_of_a_user_without_records_is_zero(client, make_user):
    body = client.get("/api/usage/summary", headers=make_user().headers).get_json()
    assert body["totals"] == measures(0, 0.0, 0, 0)
    assert body["by_model"] == body["by_provider"] == body["by_feature"] == body["by_day"] == []


def test_delete_removes_every_record_of_the_caller(client, loaded):
    response = client.delete("/api/usage", headers=loaded.headers)
    assert response.status_code == 200 and response.get_json() == {"deleted": 4}
    assert stored(loaded.id) == {}
    assert client.delete("/api/usage", headers=loaded.headers).get_json() == {"deleted": 0}


def test_users_never_see_or_touch_each_others_records(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    same_ids = [ours(f"shared-{i}", cost_usd="1.5") for i in range(5)]
    assert post_import(client, alice, to_csv(same_ids, OURS)).get_json()["imported"] == 5
    # the same request ids are new for another user: uniqueness is per user
    assert post_import(client, bob, to_csv(same_ids[:2], OURS)).get_json() | {"errors": []} == {
        "imported": 2, "duplicates": 0, "rejected": 0, "errors": [], "errors_truncated": False,
        "format": "tokenwise", "rows": 2, "cost_sources": {"reported": 2}, "unpriced_models": {}}
    alice_totals = client.get("/api/usage/summary", headers=alice.headers).get_json()["totals"]
    bob_totals = client.get("/api/usage/summary", headers=bob.headers).get_json()["totals"]
    assert (alice_totals["requests"], alice_totals["cost_usd"]) == (5, 7.5)
    assert (bob_totals["requests"], bob_totals["cost_usd"]) == (2, 3.0)
    assert client.delete("/api/usage", headers=bob.headers).get_json() == {"deleted": 2}
    assert len(stored(alice.id)) == 5 and stored(bob.id) == {}
    assert client.get("/api/usage/summary", headers=alice.headers).get_json()["totals"]["requests"] == 5
