"""Properties of the optimization agent over random record sets: no saving beyond spend, nothing negative."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, example, given, settings

from shared.agents.optimization import LEVERS, optimize
from shared.agents.pipeline.events import Emitter
from tests.agents.dataopt_records import insert_records, make_user, record, usage_rows

START, END = datetime(2026, 11, 1), datetime(2026, 11, 4)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
EPSILON = 1e-6  # monthly figures are rounded to micro-dollars


# Found by this property: a deprecated model's row with no tokens but a cost saves $0.00 on its successor.
ZERO_SAVING = [record(START + timedelta(minutes=i), model="gpt-4o", cost=None) for i in range(19)] + [
    record(START, model="gpt-4-turbo", prompt_tokens=0, completion_tokens=0, cost=0.000001)]


@SETTINGS
@given(rows=usage_rows(START, END, max_size=60))
@example(rows=ZERO_SAVING)
def test_savings_never_exceed_spend(database, rows):
    user = make_user("prop")
    insert_records(user, rows)
    result = optimize(user, START, END, emitter=Emitter()).to_dict()
    monthly_spend = result["spend_usd"] * 30 / result["days"]
    levers = [rec["lever"] for rec in result["recommendations"]]
    assert levers == [lever for lever in LEVERS if lever in levers]  # contract order, at most one each
    for rec in result["recommendations"]:
        assert 0 < rec["monthly_savings_usd"] <= monthly_spend + EPSILON, rec
        assert 0 < rec["savings_pct"] <= 100.0 + 1e-6
        assert rec["evidence"]["records"] > 0 and 0 < rec["confidence"] <= 1
    total = result["total_monthly_savings_usd"]
    assert 0 <= total <= monthly_spend + EPSILON
    assert total <= sum(rec["monthly_savings_usd"] for rec in result["recommendations"]) + EPSILON
    if result["recommendations"]:
        assert total >= max(rec["monthly_savings_usd"] for rec in result["recommendations"]) - EPSILON
    else:
        assert total == 0.0
    for note in result["not_recommended"]:
        assert note["lever"] in LEVERS and note["reason"]
