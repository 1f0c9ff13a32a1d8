"""The rollups the analyses read, recomputed from a user's records for the days that changed.

Triggers on ``usage_records`` mark each (user, UTC day) whose records were written, updated or
deleted in ``usage_dirty_days`` (migration 0006); ``refresh(conn, user_id)`` then, in the
caller's transaction and in one pass per table:

- ``usage_hourly``: per hour, model, provider, feature and batch flag, the sums, minimums and
  maximums of ``MEASURES`` (the data agent's cube) -- the dirty days' hours are rebuilt;
- ``usage_histograms``: per day, feature, model and metric (prompt tokens, completion tokens,
  latency), how many single-request records fall in each value bin (``value_bin``) and their
  exact sum -- the dirty days are rebuilt;
- ``usage_repeats``: the user's repeat chains, rebuilt whole: one row per record whose prompt
  hash the user sent before to the same model for the same feature, with the time of the
  previous record of that chain (``prev_at``) and of the previous successful one.

A refresh takes a per-user lock on PostgreSQL, so two never rebuild the same user at once, and
clears only the marks it saw at their version: a day written again meanwhile stays dirty.
``refresh_if_dirty(user_id)`` runs one in its own transaction when a mark is left
(``refresh_marked(conn, user_id)`` in the caller's); an import refreshes when it ends
(``shared.usage.writer``), the data agent and the usage summary before they read. Option:
``ROLLUP_REFRESH_TIMEOUT_S`` (600): how long each refresh statement may run on PostgreSQL, beyond
a request's ``DB_QUERY_TIMEOUT_S``. A refresh rebuilds the user's repeat chains whole (about 4 s a
million records here); the hourly rollups and histograms only for the marked days.

Costs are summed exactly (``shared.db.money``): the measures read each record's cost as
``cost_units`` (``with_derived`` adds it), and ``usage_hourly.cost_usd`` holds the exact sum.
"""
from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared import config
from shared.db import money, transaction
from shared.db.budget import statement_budget

PROMPT_CACHE_MIN_TOKENS = 1024
PROMPT_CACHE_STEP_TOKENS = 128
# The prefix a provider would cache: from the minimum size, in whole steps (0 when not cacheable).
CACHEABLE = (f"CASE WHEN prompt_tokens >= {PROMPT_CACHE_MIN_TOKENS} AND request_count = 1 "
             f"AND status = 'success' AND prompt_hash IS NOT NULL "
             f"THEN {PROMPT_CACHE_MIN_TOKENS} + ((prompt_tokens - {PROMPT_CACHE_MIN_TOKENS})"
             f" / {PROMPT_CACHE_STEP_TOKENS}) * {PROMPT_CACHE_STEP_TOKENS} ELSE 0 END")
# Of that prefix, what is not already billed as a cache read or write.
NEW_WRITE = ("CASE WHEN cacheable > cached_tokens + cache_write_tokens "
             "THEN cacheable - cached_tokens - cache_write_tokens ELSE 0 END")
# (column, aggregate over records with the ``with_derived`` columns, how partial rows combine)
MEASURES: tuple[tuple[str, str, str], ...] = (
    ("requests", "SUM(request_count)", "SUM"),
    ("records", "COUNT(*)", "SUM"),
    ("errors", "SUM(CASE WHEN status = 'success' THEN 0 ELSE request_count END)", "SUM"),
    ("cost_usd", "COALESCE(SUM(cost_units), 0)", "SUM"),
    ("unpriced", "SUM(CASE WHEN cost_units IS NULL THEN request_count ELSE 0 END)", "SUM"),
    ("prompt_tokens", "SUM(prompt_tokens)", "SUM"),
    ("completion_tokens", "SUM(completion_tokens)", "SUM"),
    ("cached_tokens", "SUM(cached_tokens)", "SUM"),
    ("cache_write_tokens", "SUM(cache_write_tokens)", "SUM"),
    ("hashed", "COUNT(prompt_hash)", "SUM"),
    ("cache_eligible", "SUM(CASE WHEN cacheable > 0 THEN 1 ELSE 0 END)", "SUM"),
    ("cache_eligible_write_tokens", f"SUM({NEW_WRITE})", "SUM"),
    ("max_tokens_min", "MIN(max_tokens)", "MIN"),
    ("max_tokens_max", "MAX(max_tokens)", "MAX"),
    ("max_tokens_records", "COUNT(max_tokens)", "SUM"),
    ("truncated", "SUM(CASE WHEN completion_tokens >= max_tokens THEN 1 ELSE 0 END)", "SUM"),
    ("max_prompt", "MAX(CASE WHEN request_count = 1 THEN prompt_tokens END)", "MAX"),
    ("max_completion", "MAX(CASE WHEN request_count = 1 THEN completion_tokens END)", "MAX"),
    ("latency_ms_sum", "COALESCE(SUM(latency_ms), 0)", "SUM"),
    ("latency_records", "COUNT(latency_ms)", "SUM"),
)
MONEY = frozenset({"cost_usd"})  # the measures that are sums of ``money.units``
METRICS = (("prompt", "prompt_tokens"), ("completion", "completion_tokens"), ("latency", "latency_ms"))
_PARAM = re.compile(r":(user_id|lo|hi)\b")
_HOURLY_KEY = "user_id, bucket, model, provider, feature, is_batch"
_REPEAT_COLUMNS = ("user_id, request_id, \"timestamp\", prev_at, prev_success_at, prompt_hash, feature, model, provider, "
                   "is_batch, status, request_count, cost_usd, prompt_tokens, cached_tokens, cache_write_tokens")


def value_bin(value: str) -> str:
    """The histogram bin of an integer ``value``: itself below 128, else rounded down to a multiple
    of 2^(k-6) for a value in [2^k, 2^(k+1)) -- at most 1/64 (1.6%) low, like an HDR histogram.
    Integer arithmetic only, so both backends bin alike."""
    steps = " ".join(f"WHEN {value} < {2 ** (k + 1)} THEN {value} / {2 ** (k - 6)} * {2 ** (k - 6)}"
                     for k in range(7, 31))
    return f"CASE WHEN {value} < 128 THEN {value} {steps} ELSE {value} END"


def with_derived(postgres: bool) -> str:
    """The columns ``MEASURES`` read besides a record's own, to select beside them."""
    return f"{CACHEABLE} AS cacheable, {money.units('cost_usd', postgres)} AS cost_units"


def hourly_measures(postgres: bool) -> str:
    """``usage_hourly``'s measure columns, money in the unit sums are taken in, to combine with ``MEASURES``."""
    return ", ".join(money.units(name, postgres) if name in MONEY else name for name, _, _ in MEASURES)


def _hour(postgres: bool) -> str:
    return "date_trunc('hour', \"timestamp\")" if postgres else "strftime('%Y-%m-%d %H:00:00.000000', \"timestamp\")"


def _day(postgres: bool, column: str = '"timestamp"') -> str:
    # SQLite: from the stored text's date part, since date arithmetic rounds 23:59:59.999999 up a day.
    return f"date_trunc('day', {column})" if postgres else f"substr({column}, 1, 10) || ' 00:00:00.000000'"


# The user's records on the days marked dirty (``:lo`` / ``:hi`` bound them, so a few dirty days
# of a long history are found through the time index).
_DIRTY_RECORDS = ("(SELECT * FROM usage_records WHERE user_id = :user_id AND \"timestamp\" >= :lo "
                  "AND \"timestamp\" < :hi AND {day} IN (SELECT day FROM usage_dirty_days WHERE user_id = :user_id))")
_IN_DIRTY_DAY = "{column} IN (SELECT day FROM usage_dirty_days WHERE user_id = :user_id)"


def _statements(postgres: bool) -> list[str]:
    aggregates = ", ".join(f"{money.stored(expr, postgres) if name in MONEY else expr} AS {name}"
                           for name, expr, _ in MEASURES)
    names = ", ".join(name for name, _, _ in MEASURES)
    hour, day = _hour(postgres), _day(postgres)
    dirty = _DIRTY_RECORDS.format(day=day)
    if postgres:  # one pass over the records, three values from each
        values = ", ".join(f"('{metric}', r.{column})" for metric, column in METRICS)
        metric_values = f"{dirty} AS r CROSS JOIN LATERAL (VALUES {values}) AS m(metric, v)"
    else:
        picks = " UNION ALL ".join(f"SELECT '{metric}' AS metric" for metric, _ in METRICS)
        pick = " ".join(f"WHEN '{metric}' THEN r.{column}" for metric, column in METRICS)
        metric_values = (f"(SELECT r.*, m.metric, CASE m.metric {pick} END AS v "
                         f"FROM {dirty} AS r, ({picks}) AS m) AS r")
    # Ties in time are ordered by request id in byte order on both backends.
    collate = ' COLLATE "C"' if postgres else ""
    chain = f'PARTITION BY prompt_hash, feature, model ORDER BY "timestamp", request_id{collate}'
    return [
        f"DELETE FROM usage_hourly WHERE user_id = :user_id AND bucket >= :lo AND bucket < :hi "
        f"AND {_IN_DIRTY_DAY.format(column=_day(postgres, 'bucket'))}",
        f"INSERT INTO usage_hourly ({_HOURLY_KEY}, {names}) "
        f"SELECT user_id, {hour}, model, provider, feature, is_batch, {aggregates} "
        f"FROM (SELECT *, {with_derived(postgres)} FROM {dirty} AS dirty) AS src "
        f"GROUP BY user_id, {hour}, model, provider, feature, is_batch",
        f"DELETE FROM usage_histograms WHERE user_id = :user_id AND {_IN_DIRTY_DAY.format(column='day')}",
        f"INSERT INTO usage_histograms (user_id, day, metric, feature, model, bin, records, total) "
        f"SELECT user_id, {day}, metric, feature, model, {value_bin('v')}, COUNT(*), SUM(v) "
        f"FROM {metric_values} WHERE request_count = 1 AND v IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6",
        "DELETE FROM usage_repeats WHERE user_id = :user_id",
        # The hashes sent more than once come from the hash index alone; only their records are read.
        f"WITH candidates AS {'MATERIALIZED ' if postgres else ''}(SELECT prompt_hash FROM usage_records "
        f"WHERE user_id = :user_id AND prompt_hash IS NOT NULL GROUP BY prompt_hash HAVING COUNT(*) > 1) "
        f"INSERT INTO usage_repeats ({_REPEAT_COLUMNS}) SELECT {_REPEAT_COLUMNS} FROM ("
        f"SELECT r.*, LAG(\"timestamp\") OVER chain AS prev_at, "
        f"MAX(CASE WHEN status = 'success' THEN \"timestamp\" END) OVER "
        f"(chain ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_success_at "
        f"FROM usage_records r WHERE user_id = :user_id AND prompt_hash IN (SELECT prompt_hash FROM candidates) "
        f"WINDOW chain AS ({chain})) AS chained WHERE prev_at IS NOT NULL",
    ]


def refresh(conn: Connection, user_id: str) -> int:
    """Rebuild ``user_id``'s rollups for the days marked dirty; returns how many days it refreshed."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:user_id, 0))"), {"user_id": user_id})
    marks = conn.execute(text("SELECT day, day_end, version FROM usage_dirty_days WHERE user_id = :user_id"),
                         {"user_id": user_id}).all()
    if not marks:
        return 0
    if postgres:  # as for the analyses (``shared.agents.data.sql.Dialect.prepare``): hash, do not sort to disk
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
    params = {"user_id": user_id, "lo": min(m[0] for m in marks), "hi": max(m[1] for m in marks)}
    # A large history takes longer than a request's statement limit; a refresh cut off by it would
    # leave the marks for the next analysis to time out on again.
    with statement_budget(conn, config.env_float("ROLLUP_REFRESH_TIMEOUT_S", 600.0)):
        for statement in _statements(postgres):
            conn.exec_driver_sql(*_driver(conn, statement, params))
    conn.execute(text("DELETE FROM usage_dirty_days WHERE user_id = :user_id AND day = :day AND version = :version"),
                 [{"user_id": user_id, "day": day, "version": version} for day, _, version in marks])
    return len(marks)


def _driver(conn: Connection, statement: str, params: dict) -> tuple[str, tuple | dict]:
    # Straight to the driver: SQLAlchemy's text() would misread strftime patterns like ``%H:00`` as
    # bound parameters. sqlite3 takes ``:name`` itself; pg8000 wants ``%s`` in order.
    if conn.dialect.name != "postgresql":
        return statement, params
    names = _PARAM.findall(statement)
    return _PARAM.sub("%s", statement), tuple(params[name] for name in names)


def refresh_marked(conn: Connection, user_id: str) -> int:
    """``refresh`` in the caller's transaction when a day of ``user_id`` is marked dirty; when none is,
    no lock is taken."""
    dirty = conn.execute(text("SELECT 1 FROM usage_dirty_days WHERE user_id = :user_id LIMIT 1"),
                         {"user_id": user_id}).first()
    return refresh(conn, user_id) if dirty else 0


def refresh_if_dirty(user_id: str) -> int:
    """Refresh ``user_id``'s rollups in a transaction of their own when a day is marked dirty."""
    with transaction() as conn:
        return refresh_marked(conn, user_id)
