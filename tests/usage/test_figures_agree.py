"""The usage summary and the data agent report the same figures for any records and any range.

Both read one implementation (the data agent's aggregate over the rollups), so for generated
records -- timestamps hugging hour and day edges, costs from whole micro-dollars to arbitrary
floats and sub-nano-dollar amounts, unpriced and aggregated rows -- and a generated range (either
bound open for the summary), their totals and per-model / per-provider / per-feature / per-day
figures are equal, and equal to the exact sum of the records' costs in whole nano-dollars.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.agents.data.agent import analyze
from shared.agents.pipeline.events import Emitter
from shared.db import transaction
from shared.usage import summarize
from tests.agents.dataopt_records import insert_records, make_user, record

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
SETTINGS = settings(max_examples=15, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
DAY0 = datetime(2026, 11, 1)
SPAN_US = 3 * 86_400 * 10**6
# Instants where bucketing mistakes show: just around midnights and whole hours.
EDGES = [DAY0 + timedelta(days=d, hours=h) + timedelta(microseconds=us)
         for d in range(4) for h in (0, 13) for us in (-1, 0, 1)]
MODELS = (("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-haiku-4-5", "anthropic"), ("acme-7b", "acme"))
# The data agent needs a bounded range; these hold every generated record.
OPEN_START, OPEN_END = DAY0 - timedelta(days=2), DAY0 + timedelta(days=6)
NANO = Decimal("1e-9")

moments = st.one_of(st.integers(0, SPAN_US).map(lambda us: DAY0 + timedelta(microseconds=us)), st.sampled_from(EDGES))
costs = st.one_of(
    st.none(),
    st.integers(0, 10**6).map(lambda micro: micro / 1e6),
    st.floats(0, 1000, allow_nan=False, allow_infinity=False),
    st.floats(1e-12, 1e-6),
)


@st.composite
def usage_record(draw) -> dict:
    model, provider = draw(st.sampled_from(MODELS))
    prompt = draw(st.integers(0, 5000))
    return record(draw(moments), model=model, provider=provider, feature=draw(st.sampled_from(("chat", "search"))),
                  prompt_tokens=prompt, completion_tokens=draw(st.integers(0, 2000)), cost=draw(costs),
                  cached_tokens=draw(st.integers(0, prompt)), status=draw(st.sampled_from(("success", "error"))),
                  request_count=draw(st.sampled_from((1, 1, 4))))


@st.composite
def ranges(draw) -> tuple[datetime | None, datetime | None]:
    start, end = draw(st.one_of(st.none(), moments)), draw(st.one_of(st.none(), moments))
    if start is not None and end is not None and start >= end:
        start, end = (end, start) if end < start else (start, None)
    return start, end


TOTALS = ("requests", "cost_usd", "prompt_tokens", "completion_tokens", "cached_tokens", "errors",
          "unpriced_requests")
MEASURES = ("requests", "cost_usd", "prompt_tokens", "completion_tokens")
BREAKDOWNS = (("by_model", ("model", "provider")), ("by_provider", ("provider",)), ("by_feature", ("feature",)))


def _figures(answer: dict) -> dict:
    """What the two answers have in common, in their order."""
    figures = {"totals": {name: answer["totals"][name] for name in TOTALS},
               "by_day": [(day["day"], day["requests"], day["cost_usd"]) for day in answer["by_day"]]}
    for name, keys in BREAKDOWNS:
        figures[name] = [tuple(item[key] for key in keys + MEASURES) for item in answer[name]]
    return figures


def _exact_cost(rows: list[dict]) -> float:
    """Each cost rounded once to whole nano-dollars, summed exactly, as a JSON number."""
    return float(sum((Decimal(repr(row["cost_usd"])).quantize(NANO, ROUND_HALF_UP)
                      for row in rows if row["cost_usd"] is not None), Decimal(0)))


@pytest.mark.parametrize("backend", BACKENDS)
@SETTINGS
@given(rows=st.lists(usage_record(), max_size=30), bounds=ranges())
def test_summary_and_data_agent_agree(request, backend, rows, bounds):
    request.getfixturevalue(f"{backend}_database").activate()
    user = make_user("agree")
    insert_records(user, rows)
    start, end = bounds
    with transaction() as conn:
        summary = summarize(conn, user, start, end)
    data = analyze(user, start or OPEN_START, end or OPEN_END, emitter=Emitter()).to_dict()
    assert _figures(summary) == _figures(data)
    in_range = [row for row in rows if (start is None or row["timestamp"] >= start)
                and (end is None or row["timestamp"] < end)]
    totals = summary["totals"]
    assert totals["requests"] == sum(row["request_count"] for row in in_range)
    assert totals["prompt_tokens"] == sum(row["prompt_tokens"] for row in in_range)
    assert totals["cost_usd"] == _exact_cost(in_range)
