"""A prompt counts as repeated only when it repeats inside the analysed range and filters.

The per-user hash counts cover all time, so a hash seen once in range and again outside it (or
under another model or feature filtered out) must not be counted; one seen twice in range must.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from shared.agents.data import analyze
from shared.agents.events import Emitter
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
    assert whole.repeated_prompt_share == round(4 / 6, 6)
    assert whole.profile.totals.repeated == 4 and whole.profile.totals.hits_1h == 2
    chat = analyze(user, START, END, emitter=Emitter(), features=["chat"])
    assert chat.repeated_prompt_share == round(2 / 5, 6)
    assert chat.profile.totals.repeated == 2 and chat.profile.totals.hits_1h == 1
