"""The combined saving of several levers, from each lever's saving per (feature, model) pair.

The profile is read from real records; the levers' outcomes are written by hand so each rule of
``combine`` -- alternatives within a group, one group after another, the pair's cost as a ceiling,
only recommended levers -- has a figure of its own.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from shared.agents.data.agent import analyze
from shared.agents.optimization.combine import combined_saving
from shared.agents.optimization.common import Context, Outcome, Recommendation
from shared.agents.pipeline.events import Emitter
from shared.pricing import catalog
from tests.agents.dataopt_records import insert_records, make_user, record

START, END = datetime(2026, 11, 1), datetime(2026, 11, 2)
T = datetime(2026, 11, 1, 8)
REPORT, CHAT = ("report", "gpt-4o"), ("chat", "gpt-4o")


@pytest.fixture
def ctx(database) -> Context:
    """report/gpt-4o paid $2 over two cells, chat/gpt-4o $1, free/gpt-4o nothing: $3 in all."""
    user = make_user()
    insert_records(user, [record(T, feature="report", cost=1.5), record(T, feature="report", cost=0.5, is_batch=True),
                          record(T, feature="chat", cost=1.0), record(T, feature="free", cost=0.0)])
    profile = analyze(user, START, END, emitter=Emitter()).profile
    assert profile is not None
    return Context(profile, catalog(), 1.0, profile.totals.cost_usd, END.date())


def _lever(lever: str, savings: dict[tuple[str, str], float], recommended: bool = True) -> Outcome:
    rec = Recommendation(lever=lever, title=lever, saving=sum(savings.values()), confidence=0.5, method="",
                         assumptions=[], records=1, sample_request_ids=[], risk="") if recommended else None
    return Outcome(lever, recommendation=rec, pair_savings=dict(savings))


def test_the_context_holds_what_the_records_paid(ctx):
    assert ctx.spend == pytest.approx(3.0, abs=1e-12)
    assert sorted((c.pair, c.batch, c.m.cost_usd) for c in ctx.cells()) == [
        (("chat", "gpt-4o"), False, 1.0), (("free", "gpt-4o"), False, 0.0),
        (("report", "gpt-4o"), False, 1.5), (("report", "gpt-4o"), True, 0.5)]


def test_alternatives_count_once_and_groups_apply_to_what_is_left(ctx):
    outcomes = [
        _lever("response_caching", {REPORT: 1.2}),         # 60% of report
        _lever("prompt_caching", {REPORT: 1.6}),           # 80%: the larger caching fraction counts
        _lever("model_routing", {REPORT: 1.0}),            # 50%
        _lever("model_deprecation", {REPORT: 0.5}),        # 25%: routing's 50% counts
        _lever("batch", {REPORT: 1.0, CHAT: 0.2}),         # 50% of report, 20% of chat
        _lever("max_tokens", {CHAT: 0.5}, recommended=False),
    ]
    # report keeps 20% x 50% x 50% of $2; chat keeps 80% of $1
    assert combined_saving(ctx, outcomes) == pytest.approx(2.0 * (1 - 0.2 * 0.5 * 0.5) + 1.0 * 0.2, abs=1e-12)


def test_each_group_is_counted(ctx):
    assert combined_saving(ctx, [_lever("max_tokens", {CHAT: 0.25})]) == pytest.approx(0.25, abs=1e-12)
    assert combined_saving(ctx, [_lever("model_deprecation", {CHAT: 0.5}), _lever("max_tokens", {CHAT: 0.5})]
                           ) == pytest.approx(0.75, abs=1e-12)
    assert combined_saving(ctx, [_lever("response_caching", {REPORT: 1.0}), _lever("batch", {CHAT: 0.5})]
                           ) == pytest.approx(1.5, abs=1e-12)


def test_a_pair_never_saves_more_than_it_cost(ctx):
    assert combined_saving(ctx, [_lever("batch", {REPORT: 4.0})]) == pytest.approx(2.0, abs=1e-12)
    assert combined_saving(ctx, [_lever("batch", {REPORT: 4.0}), _lever("max_tokens", {REPORT: 3.0, CHAT: 0.1})]
                           ) == pytest.approx(2.1, abs=1e-12)


def test_nothing_recommended_saves_nothing(ctx):
    assert combined_saving(ctx, []) == 0.0
    assert combined_saving(ctx, [_lever("batch", {REPORT: 1.0}, recommended=False)]) == 0.0
