"""The data agent reads the same figures from the rollups as from the records themselves.

Each check analyses a range once as it runs (whole hours from ``usage_hourly``, whole days from
``usage_histograms``, edges from the records) and once with the rollups left out (every record
read), after inserts, updates that move records between hours, days and cells, and deletes -- on
both backends.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update

from shared.agents.data import usage_profile
from shared.agents.data.agent import analyze
from shared.agents.pipeline.events import Emitter
from shared.db import transaction
from shared.db.schema import (
    usage_histograms,
    usage_hourly,
    usage_records,
    usage_repeats,
    users,
)
from shared.usage.rollups import refresh_if_dirty
from tests.agents.dataopt_records import insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 3)
T = datetime(2026, 11, 1, 9, 17)


def _both(user, monkeypatch, start=START, end=END, **filters) -> dict:
    rolled = analyze(user, start, end, emitter=Emitter(), **filters).to_dict()
    with monkeypatch.context() as patch:
        patch.setattr(usage_profile, "whole_hours", lambda scope: {"whole_start": scope.start,
                                                                   "whole_end": scope.start})
        patch.setattr(usage_profile, "whole_days", lambda scope: {"day_start": scope.start, "day_end": scope.start})
        raw = analyze(user, start, end, emitter=Emitter(), **filters).to_dict()
    assert rolled == raw
    return rolled


def _rows():
    rows = []
    for i in range(60):
        rows.append(record(T + timedelta(minutes=23 * i, microseconds=i), prompt_hash=f"h{i % 7}",
                           model=("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5")[i % 3],
                           provider="anthropic" if i % 3 == 2 else "openai", feature=("chat", "tagging")[i % 2],
                           prompt_tokens=900 + 40 * i, completion_tokens=10 + i, latency_ms=None if i % 5 else 300 + i,
                           max_tokens=None if i % 4 else 64 + i, status="error" if i % 11 == 0 else "success",
                           is_batch=i % 6 == 0, cost=None if i % 13 == 0 else "catalog"))
    return rows


def test_rollups_match_the_records_through_inserts_updates_and_deletes(database, monkeypatch):
    user = make_user()
    insert_records(user, _rows())
    first = _both(user, monkeypatch)
    assert first["totals"]["requests"] == 60
    _both(user, monkeypatch, START + timedelta(hours=10, minutes=5), START + timedelta(hours=20, seconds=1))
    assert _both(user, monkeypatch, models=["gpt-4o"], features=["tagging"])["totals"]["requests"] == 10
    t = usage_records.c
    with transaction() as conn:
        ids = [row[0] for row in conn.execute(select(t.request_id).where(t.user_id == user).order_by(t.id))]
        conn.execute(update(usage_records).where(t.user_id == user, t.request_id == ids[3])
                     .values(timestamp=T + timedelta(hours=20, minutes=1), max_tokens=5, completion_tokens=777))
        conn.execute(update(usage_records).where(t.user_id == user, t.request_id.in_(ids[10:14]))
                     .values(model="gpt-4o-mini", provider="openai"))
        conn.execute(delete(usage_records).where(t.user_id == user, t.request_id.in_(ids[20:30])))
    after = _both(user, monkeypatch)
    assert after["totals"]["requests"] == 50 and after != first
    insert_records(user, [record(T + timedelta(minutes=3), model="gpt-4o", completion_tokens=4000, max_tokens=9000)])
    assert _both(user, monkeypatch)["totals"]["completion_tokens"] == after["totals"]["completion_tokens"] + 4000


def test_rollups_leave_with_the_records_and_the_user(database):
    alice, bob = make_user("alice"), make_user("bob")
    insert_records(alice, _rows())
    insert_records(bob, _rows())
    assert refresh_if_dirty(alice) and refresh_if_dirty(bob)
    for table in (usage_hourly, usage_histograms, usage_repeats):
        count = select(func.count()).select_from(table)
        with transaction() as conn:
            assert conn.execute(count.where(table.c.user_id == alice)).scalar_one() > 0
            assert conn.execute(count.where(table.c.user_id == bob)).scalar_one() > 0
    with transaction() as conn:
        conn.execute(delete(usage_records).where(usage_records.c.user_id == alice))
        conn.execute(delete(users).where(users.c.id == bob))
    assert refresh_if_dirty(alice) == 2 and refresh_if_dirty(bob) == 0  # alice's records spanned two days
    for table in (usage_hourly, usage_histograms, usage_repeats):
        with transaction() as conn:
            assert conn.execute(select(func.count()).select_from(table)
                                .where(table.c.user_id.in_([alice, bob]))).scalar_one() == 0


def test_whole_hours_are_those_inside_the_range():
    from shared.agents.data.sql import Scope, whole_hours
    assert whole_hours(Scope.build("u", datetime(2026, 11, 1, 9, 17), datetime(2026, 11, 1, 20, 0, 1))) == {
        "whole_start": datetime(2026, 11, 1, 10), "whole_end": datetime(2026, 11, 1, 20)}
    assert whole_hours(Scope.build("u", datetime(2026, 11, 1, 9), datetime(2026, 11, 2))) == {
        "whole_start": datetime(2026, 11, 1, 9), "whole_end": datetime(2026, 11, 2)}
    assert whole_hours(Scope.build("u", datetime(2026, 11, 1, 9, 1), datetime(2026, 11, 1, 9, 59))) == {
        "whole_start": datetime(2026, 11, 1, 10), "whole_end": datetime(2026, 11, 1, 10)}
