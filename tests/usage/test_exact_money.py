"""Costs are exact: whole nano-dollars, stored alike on both backends and summed without error, so
the same records give the same totals whatever order they were written in."""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from shared.agents.data.agent import analyze
from shared.agents.pipeline.events import Emitter
from shared.db import transaction
from shared.db.schema import usage_records
from shared.usage import import_stream, summarize
from tests.agents.dataopt_records import insert_records, make_user, record
from tests.support.usage_import import to_csv
from tests.usage.test_import_formats import OURS, ours

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
T = datetime(2026, 11, 2, 9, 30)
# Added as doubles in this order they make 1.7988472395000001, in the reverse order 1.7988472395:
# 1.79884724 and 1.798847239 once rounded to nano-dollars. Each kept to whole nano-dollars
# (0.019018900, 0.888861199, 0.890967140) they add up to 1.798847239 in any order.
ORDER_SENSITIVE = (0.01901889985, 0.888861199207, 0.890967140443)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    request.getfixturevalue(f"{request.param}_database").activate()
    return request.param


def _totals(user_id: str) -> tuple[float, float]:
    """The total cost as the usage summary and as the data agent report it."""
    with transaction() as conn:
        summary = summarize(conn, user_id)
    data = analyze(user_id, T - timedelta(days=1), T + timedelta(days=1), emitter=Emitter()).to_dict()
    return summary["totals"]["cost_usd"], data["totals"]["cost_usd"]


def _stored_costs(user_id: str) -> dict[str, Decimal | None]:
    with transaction() as conn:
        rows = conn.execute(select(usage_records.c.request_id, usage_records.c.cost_usd)
                            .where(usage_records.c.user_id == user_id)).all()
    return dict(rows)


def test_the_same_records_in_another_order_give_the_same_totals(backend):
    rows = [record(T, cost=cost) for cost in ORDER_SENSITIVE]  # one hour and cell: added in write order
    forward, backward = make_user("forward"), make_user("backward")
    insert_records(forward, rows)
    insert_records(backward, rows[::-1])
    assert _totals(forward) == _totals(backward) == (1.798847239, 1.798847239)


def test_a_sum_of_many_small_costs_is_exact(backend):
    user = make_user("cents")
    # 20,000 doubles of 0.09 add up to 1799.9999999994127.
    body = to_csv([ours(f"cent-{i}", timestamp=f"2026-11-02T09:{i % 60:02d}:00Z", cost_usd="0.09")
                   for i in range(20_000)], OURS)
    assert import_stream(user, io.BytesIO(body), "text/csv").imported == 20_000
    assert _totals(user) == (1800.0, 1800.0)


def test_costs_are_stored_to_whole_nano_dollars_on_every_write_path(backend):
    user = make_user("nanos")
    insert_records(user, [record(T, request_id="direct-half", cost=0.0000000015),
                          record(T, request_id="direct-below", cost=1.2345678904)])
    body = to_csv([ours("import-half", cost_usd="0.0000000025"), ours("import-long", cost_usd="0.1234567894999"),
                   ours("import-unpriced", model="acme-7b", provider="acme")], OURS)
    assert import_stream(user, io.BytesIO(body), "text/csv").imported == 3
    assert _stored_costs(user) == {
        "direct-half": Decimal("0.000000002"), "direct-below": Decimal("1.234567890"),
        "import-half": Decimal("0.000000003"), "import-long": Decimal("0.123456789"), "import-unpriced": None}
