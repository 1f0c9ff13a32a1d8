"""The rollups are rebuilt from the records after every way records arrive or leave, on both backends.

``usage_repeats`` must equal the chains derived here in Python (same prompt hash, feature and
model, ordered by time then request id), and no day may stay marked dirty once a refresh ran:
after imports (COPY and merge paths, duplicates, re-imports, out of order), DELETE /api/usage,
direct INSERT / UPDATE / DELETE followed by a refresh, and a removed user. A day written again
while a refresh runs stays dirty.
"""
from __future__ import annotations

from datetime import datetime
from itertools import groupby

from sqlalchemy import delete, func, select, update

from shared.db import transaction
from shared.db.schema import usage_dirty_days, usage_records, usage_repeats, users
from shared.usage import rollups
from shared.usage.rollups import refresh_if_dirty
from tests.support.usage_import import post_import, to_csv
from tests.usage.test_import_formats import OURS, ours


def derived(user_id: str) -> dict[str, tuple]:
    """request id -> (previous record's time, previous successful record's time), from the records."""
    t = usage_records.c
    query = (select(t.prompt_hash, t.feature, t.model, t.timestamp, t.request_id, t.status)
             .where(t.user_id == user_id, t.prompt_hash.is_not(None)))
    with transaction() as conn:
        records = sorted(conn.execute(query).all(), key=lambda r: (r[0], r[1], r[2], r[3], r[4].encode()))
    chains = {}
    for _, chain in groupby(records, key=lambda r: r[:3]):
        previous, success = None, None
        for _, _, _, at, request_id, status in chain:
            if previous is not None:
                chains[request_id] = (previous, success)
            previous = at
            success = at if status == "success" else success
    return chains


def kept(user_id: str) -> dict[str, tuple]:
    t = usage_repeats.c
    with transaction() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute(
            select(t.request_id, t.prev_at, t.prev_success_at).where(t.user_id == user_id))}


def dirty(user_id: str) -> int:
    with transaction() as conn:
        return conn.execute(select(func.count()).select_from(usage_dirty_days)
                            .where(usage_dirty_days.c.user_id == user_id)).scalar_one()


def rows(ids_and_hashes, day: int = 2) -> list[dict]:
    return [ours(request_id, prompt_hash=hash_ or "", timestamp=f"2026-11-{day:02d}T09:{i % 60:02d}:00Z",
                 status=status) for i, (request_id, hash_, status) in enumerate(ids_and_hashes)]


def at(day: int, minute: int) -> datetime:
    return datetime(2026, 11, day, 9, minute)


def test_imports_rebuild_the_chains_through_duplicates_reimports_and_late_files(client, make_user, monkeypatch):
    # Small batches: later batches meet stored ids, so PostgreSQL takes both the COPY and the merge path.
    monkeypatch.setenv("USAGE_IMPORT_BATCH_ROWS", "3")
    user = make_user()
    first = rows([("r1", "a", ""), ("r2", "a", "error"), ("r3", "b", ""), ("r4", None, ""), ("r5", "c", ""),
                  ("r1", "a", ""), ("r6", "a", "")])
    body = post_import(client, user, to_csv(first, OURS)).get_json()
    assert (body["imported"], body["duplicates"]) == (6, 1)
    assert kept(user.id) == derived(user.id) == {"r2": (at(2, 0), at(2, 0)), "r6": (at(2, 1), at(2, 0))}
    assert dirty(user.id) == 0

    assert post_import(client, user, to_csv(first, OURS)).get_json()["imported"] == 0
    assert kept(user.id) == derived(user.id)

    # An older file arriving later: its records come first in their chains.
    older = rows([("r0", "b", ""), ("r3", "b", ""), ("r7", "c", ""), ("r8", "d", "")], day=1)
    assert post_import(client, user, to_csv(older, OURS)).get_json()["imported"] == 3
    assert kept(user.id) == derived(user.id)
    assert set(kept(user.id)) == {"r2", "r6", "r3", "r5"} and dirty(user.id) == 0


def test_delete_endpoint_clears_only_the_callers_chains(client, make_user):
    alice, bob = make_user("alice"), make_user("bob")
    shared_file = to_csv(rows([("x1", "same", ""), ("x2", "same", ""), ("x3", "other", "")]), OURS)
    for user in (alice, bob):
        assert post_import(client, user, shared_file).get_json()["imported"] == 3
    assert client.delete("/api/usage", headers=alice.headers).get_json() == {"deleted": 3}
    assert dirty(alice.id) == 1
    assert refresh_if_dirty(alice.id) == 1
    assert kept(alice.id) == {} and dirty(alice.id) == 0
    assert kept(bob.id) == derived(bob.id) == {"x2": (at(2, 0), at(2, 0))}


def test_direct_writes_mark_days_and_a_refresh_rebuilds_them(client, make_user):
    user = make_user()
    assert post_import(client, user, to_csv(rows([(f"d{i}", "h" if i < 4 else None, "") for i in range(6)]),
                                            OURS)).get_json()["imported"] == 6
    t = usage_records.c
    with transaction() as conn:
        conn.execute(update(usage_records).where(t.user_id == user.id, t.request_id == "d0").values(prompt_hash="k"))
        conn.execute(update(usage_records).where(t.user_id == user.id, t.request_id == "d4").values(prompt_hash="k"))
        conn.execute(update(usage_records).where(t.user_id == user.id, t.request_id == "d1").values(prompt_hash=None))
        conn.execute(delete(usage_records).where(t.user_id == user.id, t.request_id == "d2"))
    assert dirty(user.id) == 1 and kept(user.id) != derived(user.id)
    assert refresh_if_dirty(user.id) == 1 and refresh_if_dirty(user.id) == 0
    assert kept(user.id) == derived(user.id) == {"d4": (at(2, 0), at(2, 0))}
    with transaction() as conn:
        conn.execute(delete(users).where(users.c.id == user.id))
    assert kept(user.id) == {} and dirty(user.id) == 0


def test_a_day_written_again_during_a_refresh_stays_dirty(client, make_user, monkeypatch):
    user = make_user()
    assert post_import(client, user, to_csv(rows([("w1", "h", ""), ("w2", "h", "")]), OURS)).get_json()["imported"] == 2
    with transaction() as conn:
        conn.execute(update(usage_records).where(usage_records.c.request_id == "w2",
                                                 usage_records.c.user_id == user.id).values(status="error"))
    with transaction() as conn:
        marks = conn.execute(select(usage_dirty_days.c.version).where(usage_dirty_days.c.user_id == user.id)).all()
        assert len(marks) == 1
        # Another writer bumps the mark after this refresh read it, as a concurrent import would.
        original = rollups._statements

        def and_then_write(postgres):
            conn.execute(update(usage_dirty_days).where(usage_dirty_days.c.user_id == user.id)
                         .values(version=usage_dirty_days.c.version + 1))
            return original(postgres)

        monkeypatch.setattr(rollups, "_statements", and_then_write)
        assert rollups.refresh(conn, user.id) == 1
        monkeypatch.undo()
    assert dirty(user.id) == 1
    assert refresh_if_dirty(user.id) == 1 and dirty(user.id) == 0
