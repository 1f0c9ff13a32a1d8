"""``usage_prompt_hashes`` always equals the records' own counts per (user, prompt hash), on both backends.

The repeated-prompt analysis trusts this table to find every hash that repeats, so it is checked
after each way records arrive or leave: the import (COPY and merge paths, duplicates, re-imports,
out of order), DELETE /api/usage, direct INSERT / UPDATE / DELETE, and a removed user.
"""
from __future__ import annotations

from sqlalchemy import delete, func, select, update

from shared.db import transaction
from shared.db.schema import usage_prompt_hashes, usage_records, users
from tests.usage.conftest import post_import, to_csv
from tests.usage.test_import_formats import OURS, ours


def derived(user_id: str) -> dict[str, int]:
    """What the records say."""
    query = (select(usage_records.c.prompt_hash, func.count()).where(usage_records.c.user_id == user_id)
             .where(usage_records.c.prompt_hash.is_not(None)).group_by(usage_records.c.prompt_hash))
    with transaction() as conn:
        return {hash_: int(n) for hash_, n in conn.execute(query)}


def kept(user_id: str) -> dict[str, int]:
    """What the table holds."""
    query = select(usage_prompt_hashes.c.prompt_hash, usage_prompt_hashes.c.records).where(
        usage_prompt_hashes.c.user_id == user_id)
    with transaction() as conn:
        return {hash_: int(n) for hash_, n in conn.execute(query)}


def rows(ids_and_hashes, day: int = 2) -> list[dict]:
    return [ours(request_id, prompt_hash=hash_ or "", timestamp=f"2026-11-{day:02d}T09:{i % 60:02d}:00Z")
            for i, (request_id, hash_) in enumerate(ids_and_hashes)]


def test_imports_keep_exact_counts_through_duplicates_and_reimports(client, make_user, monkeypatch):
    # Small batches: later batches meet stored ids, so PostgreSQL takes both the COPY and the merge path.
    monkeypatch.setenv("USAGE_IMPORT_BATCH_ROWS", "3")
    user = make_user()
    first = rows([("r1", "a"), ("r2", "a"), ("r3", "b"), ("r4", None), ("r5", "c"), ("r1", "a"), ("r6", "a")])
    body = post_import(client, user, to_csv(first, OURS)).get_json()
    assert (body["imported"], body["duplicates"]) == (6, 1)
    assert kept(user.id) == derived(user.id) == {"a": 3, "b": 1, "c": 1}

    assert post_import(client, user, to_csv(first, OURS)).get_json()["imported"] == 0
    assert kept(user.id) == {"a": 3, "b": 1, "c": 1}

    # An older file arriving later, overlapping the first: only its new rows count.
    older = rows([("r0", "b"), ("r3", "b"), ("r7", "c"), ("r8", "d")], day=1)
    assert post_import(client, user, to_csv(older, OURS)).get_json()["imported"] == 3
    assert kept(user.id) == derived(user.id) == {"a": 3, "b": 2, "c": 2, "d": 1}


def test_delete_endpoint_clears_only_the_callers_counts(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    shared_file = to_csv(rows([("x1", "same"), ("x2", "same"), ("x3", "other")]), OURS)
    for user in (alice, bob):
        assert post_import(client, user, shared_file).get_json()["imported"] == 3
    assert client.delete("/api/usage", headers=alice.headers).get_json() == {"deleted": 3}
    assert kept(alice.id) == {}
    assert kept(bob.id) == derived(bob.id) == {"same": 2, "other": 1}


def test_direct_writes_and_a_removed_user_keep_the_counts_exact(client, make_user):
    user = make_user()
    assert post_import(client, user, to_csv(rows([(f"d{i}", "h" if i < 4 else None) for i in range(6)]),
                                            OURS)).get_json()["imported"] == 6
    t = usage_records.c
    with transaction() as conn:
        conn.execute(update(usage_records).where(t.user_id == user.id, t.request_id == "d0").values(prompt_hash="k"))
        conn.execute(update(usage_records).where(t.user_id == user.id, t.request_id == "d4").values(prompt_hash="k"))
        conn.execute(update(usage_records).where(t.user_id == user.id, t.request_id == "d1").values(prompt_hash=None))
        conn.execute(delete(usage_records).where(t.user_id == user.id, t.request_id == "d2"))
    assert kept(user.id) == derived(user.id) == {"h": 1, "k": 2}
    with transaction() as conn:
        conn.execute(delete(users).where(users.c.id == user.id))
    assert kept(user.id) == {}
