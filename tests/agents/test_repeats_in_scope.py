"""A prompt counts as repeated only when it repeats inside the analysed range and filters.

Chains are per prompt hash, feature and model, kept for all time: a twin before the range (or
under another feature or model) must not count, and only the second of a pair seen twice in
range is a repeat of the first.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from shared.agents.data.agent import analyze
from shared.agents.pipeline.events import Emitter
from tests.agents.dataopt_records import insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 3)
T = datetime(2026, 11, 1, 9)


def test_a_twin_outside_the_range_or_filters_is_not_a_repeat(database):
    user = make_user()
    insert_records(user, [
        record(START - timedelta(minutes=1), prompt_hash="before"), record(T, prompt_hash="before"),
        record(T, prompt_hash="after"), record(END, prompt_hash="after"),
        record(T, prompt_hash="tagged", feature="tagging"), record(T + timedelta(minutes=1), prompt_hash="tagged"),
        record(T + timedelta(minutes=2), prompt_hash="twice"), record(T + timedelta(minutes=3), prompt_hash="twice"),
    ])
    whole = analyze(user, START, END, emitter=Emitter())
    # In range: "before" once (its twin is earlier), "after" once (its twin is at END), "tagged"
    # once per feature, "twice" twice: one repeat out of six hashed records.
    assert whole.repeated_prompt_share == round(1 / 6, 6)
    assert whole.profile.totals.repeated == 1 and whole.profile.totals.hits_1h == 1
    chat = analyze(user, START, END, emitter=Emitter(), features=["chat"])
    assert chat.repeated_prompt_share == round(1 / 5, 6)
    assert chat.profile.totals.repeated == 1 and chat.profile.totals.hits_1h == 1
    later = analyze(user, T + timedelta(minutes=3), END, emitter=Emitter())
    assert later.profile.totals.repeated == 0 and later.profile.totals.hits_1h == 0
