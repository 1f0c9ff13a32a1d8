"""One user's usage in a range, aggregated in SQL: everything the data and optimization agents read.

Three read-only statements over the rollups the database keeps (``shared.usage.rollups``,
refreshed before an analysis reads them). Each is fetched by its own function (``aggregate_rows``,
``replay_rows``, ``distribution_rows``), so they may run at the same time on separate connections;
``apply_aggregates``, then ``apply_repeats`` and ``apply_distributions`` fold the rows into a
``UsageProfile``. The tool names are:

- ``aggregate_usage``: a cube grouped by model, provider, feature, batch flag and UTC hour --
  read from ``usage_hourly`` for the whole hours of the scope, and from the records only for the
  partial hours at its edges -- rolled up in SQL into totals, per model / provider / feature /
  day / hour, and per optimization cell (feature, model, provider, batch).
- ``replay_repeats``: the records in scope whose prompt was sent earlier in scope to the same
  model for the same feature (``usage_repeats``: each repeated record with the time of its
  chain's previous record and previous successful one), and how many seconds after that earlier
  success each came; summed per cell.
- ``token_distributions``: histograms of prompt and completion tokens per feature and of latency
  overall -- read from ``usage_histograms`` for the whole days of the scope, and binned from the
  records only for the partial days at its edges -- reduced in SQL to nearest-rank p50/p95/p99
  over value bins (see ``shared.agents.data.sql``), and the output tokens above the max_tokens cap the
  optimization agent would propose (p99 x 1.5, rounded up to 64 tokens) -- the only part of a
  lower cap that changes a bill.

Conventions: ``requests`` counts ``request_count`` (an aggregated export row stands for several
requests); distributions and caching replays use only single-request rows, since an aggregated
row carries totals, not one request's size. A request is an error when its status is not
``success``. Response-cache hits are successful requests whose previous successful twin in scope
is less than the TTL earlier (1 h and 24 h); prompt-cache hits likewise within 5 minutes, for
prompts of at least 1,024 tokens, counting the cacheable prefix in 128-token steps; every other
such prompt would be a cache write. The cube's measures are the hourly rollups' (``MEASURES``).
Costs are summed exactly (``shared.db.money``) and come back as ``Decimal`` dollars. The profile's
types are in ``shared.agents.data.measures``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.engine import Connection

from shared.agents.data.measures import (
    Measures,
    Percentiles,
    Runaway,
    UsageProfile,
    measure_values,
)
from shared.agents.data.sql import Dialect, Scope, whole_days, whole_hours
from shared.db.money import from_units
from shared.usage.rollups import (
    MEASURES,
    NEW_WRITE,
    hourly_measures,
    value_bin,
    with_derived,
)

RESPONSE_CACHE_TTLS_S = (3600, 86400)
PROMPT_CACHE_TTL_S = 300
# The max_tokens cap proposed from a feature's output distribution: p99 x NUM / DEN, rounded up to STEP.
CAP_NUM, CAP_DEN, CAP_STEP = 3, 2, 64
PERCENTILES = (50, 95, 99)
_HIT_1H, _HIT_24H = (f"gap_s < {ttl_s}" for ttl_s in RESPONSE_CACHE_TTLS_S)
_PROMPT_HIT = f"cacheable > 0 AND gap_s < {PROMPT_CACHE_TTL_S}"
_REPLAY_MEASURES: tuple[tuple[str, str], ...] = (
    ("repeated", "COUNT(*)"),
    ("hits_1h", f"SUM(CASE WHEN {_HIT_1H} THEN 1 ELSE 0 END)"),
    ("hits_1h_cost", f"SUM(CASE WHEN {_HIT_1H} THEN cost_units END)"),
    ("hits_24h", f"SUM(CASE WHEN {_HIT_24H} THEN 1 ELSE 0 END)"),
    ("hits_24h_cost", f"SUM(CASE WHEN {_HIT_24H} THEN cost_units END)"),
    ("prompt_cache_hits", f"SUM(CASE WHEN {_PROMPT_HIT} THEN 1 ELSE 0 END)"),
    ("prompt_cache_read_tokens",
     f"SUM(CASE WHEN {_PROMPT_HIT} AND cacheable > cached_tokens THEN cacheable - cached_tokens ELSE 0 END)"),
    ("prompt_cache_hit_write_tokens", f"SUM(CASE WHEN {_PROMPT_HIT} THEN {NEW_WRITE} ELSE 0 END)"),
    ("hit_sample_first", f"MIN(CASE WHEN {_HIT_1H} THEN request_id END)"),
    ("hit_sample_last", f"MAX(CASE WHEN {_HIT_1H} THEN request_id END)"),
    ("prompt_hit_sample", f"MIN(CASE WHEN {_PROMPT_HIT} THEN request_id END)"),
)
_REPLAY_TOTALS = ("repeated", "hits_1h", "hits_24h", "prompt_cache_hits")  # also added to the totals
_MONEY = {"cost_usd", "hits_1h_cost", "hits_24h_cost"}  # result columns that are sums of money units


def _aggregate_sql(d: Dialect, scope: Scope) -> str:
    cube = ",\n    ".join(f"{expr} AS {name}" for name, expr, _ in MEASURES)
    rollup = ", ".join(f"{fn}({name}) AS {name}" for name, _, fn in MEASURES)
    day, hour = d.bucket_day("bucket"), d.bucket_hour("bucket")
    text_, int_ = "CAST(NULL AS VARCHAR(200))", "CAST(NULL AS INTEGER)"
    kinds = (
        ("total", text_, text_, text_, int_, text_, int_, ""),
        ("model", "model", "provider", text_, int_, text_, int_, "GROUP BY model, provider"),
        ("provider", text_, "provider", text_, int_, text_, int_, "GROUP BY provider"),
        ("feature", text_, text_, "feature", int_, text_, int_, "GROUP BY feature"),
        ("day", text_, text_, text_, int_, day, int_, f"GROUP BY {day}"),
        ("hour", text_, text_, text_, int_, text_, hour, f"GROUP BY {hour}"),
        ("cell", "model", "provider", "feature", "batch", text_, int_, "GROUP BY feature, model, provider, batch"),
    )
    selects = "\nUNION ALL\n".join(
        f"SELECT '{kind}' AS kind, {m} AS model, {p} AS provider, {f} AS feature, {b} AS batch, "
        f"{dy} AS day, {hr} AS hour, {rollup} FROM cube {group}"
        for kind, m, p, f, b, dy, hr, group in kinds)
    return f"""
WITH scoped AS (
  SELECT model, provider, feature, {d.as_int('is_batch')} AS batch, {d.hour_bucket('"timestamp"')} AS bucket,
         status, request_count, prompt_tokens, completion_tokens, cached_tokens, cache_write_tokens,
         max_tokens, latency_ms, prompt_hash, {with_derived(d.postgres)}
  FROM usage_records
  WHERE {scope.where('("timestamp" < :whole_start OR "timestamp" >= :whole_end)')} {d.fence()}
), cube AS MATERIALIZED (
  SELECT model, provider, feature, batch, bucket, {rollup} FROM (
    SELECT model, provider, feature, batch, bucket,
      {cube}
    FROM scoped
    GROUP BY model, provider, feature, batch, bucket
    UNION ALL
    SELECT model, provider, feature, {d.as_int('is_batch')}, {d.hour_bucket('bucket')}, {hourly_measures(d.postgres)}
    FROM usage_hourly WHERE {scope.where_hours()}
  ) parts
  GROUP BY model, provider, feature, batch, bucket
)
{selects}
"""


def _replay_sql(d: Dialect, scope: Scope) -> str:
    # ``usage_repeats`` holds only the records that have an earlier twin in their chain (same
    # prompt hash, feature and model), with when it came, so the in-scope replay is a filter: a
    # twin before the range does not count, nor does a successful one before it for a cache hit.
    measures = ",\n  ".join(f"{expr} AS {name}" for name, expr in _REPLAY_MEASURES)
    return f"""
SELECT feature, model, provider, batch,
  {measures}
FROM (
  SELECT feature, model, provider, {d.as_int('is_batch')} AS batch, cached_tokens, cache_write_tokens,
         request_id, {with_derived(d.postgres)},
         CASE WHEN status = 'success' AND request_count = 1 AND prev_success_at >= :start
              THEN {d.epoch_seconds('"timestamp"')} - {d.epoch_seconds('prev_success_at')} END AS gap_s
  FROM usage_repeats WHERE {scope.where("prev_at >= :start")} {d.fence()}
) AS flagged
GROUP BY feature, model, provider, batch
"""


def _distributions_sql(d: Dialect, scope: Scope) -> str:
    """Binned values from the daily histograms (whole days) and the edge records, ranked per metric."""
    c = d.collate_c()
    # Two plain ranges rather than one OR, so each edge is one index range scan.
    before, after = (scope.where(f"request_count = 1 AND {edge}")
                     for edge in ('"timestamp" < :day_start', '"timestamp" >= :day_end'))
    # The edge records are read once (a CTE used three times is computed once) and binned per metric.
    unpivot = "\n    UNION ALL\n    ".join(
        f"SELECT '{metric}', feature, model, {value_bin(column)}, 1, {column} FROM edge WHERE {column} IS NOT NULL"
        for metric, column in (("prompt", "prompt_tokens"), ("completion", "completion_tokens"),
                               ("latency", "latency_ms")))
    cum = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    ranks = ", ".join(f"MIN(CASE WHEN 100 * cum >= {p} * n THEN v END) AS p{p}" for p in PERCENTILES)
    window_ranks = ", ".join(f"MIN(CASE WHEN 100 * cum >= {p} * n THEN v END) OVER (PARTITION BY feature{c}) AS p{p}"
                             for p in PERCENTILES)
    cap = f"((p99 * {CAP_NUM} + {CAP_DEN - 1}) / {CAP_DEN} + {CAP_STEP - 1}) / {CAP_STEP} * {CAP_STEP}"
    # A bin starting at the cap also holds longer outputs once bins are wider than one token.
    above = f"(v > {cap} OR (v = {cap} AND t > {cap} * c))"
    return f"""
WITH edge AS (
  SELECT feature, model, prompt_tokens, completion_tokens, latency_ms FROM usage_records WHERE {before}
  UNION ALL
  SELECT feature, model, prompt_tokens, completion_tokens, latency_ms FROM usage_records WHERE {after}
), binned AS (
  SELECT metric, feature, model, v, SUM(c) AS c, SUM(t) AS t FROM (
    SELECT metric, feature, model, bin AS v, records AS c, total AS t FROM usage_histograms
    WHERE {scope.where_days()}
    UNION ALL
    {unpivot}
  ) AS parts
  GROUP BY metric, feature, model, v
), prompt_ranked AS (
  SELECT feature, v, SUM(c) OVER (PARTITION BY feature{c} ORDER BY v {cum}) AS cum,
         SUM(c) OVER (PARTITION BY feature{c}) AS n
  FROM (SELECT feature, v, SUM(c) AS c FROM binned WHERE metric = 'prompt' GROUP BY feature, v) AS hist
), completion_ranked AS (
  SELECT feature, model, v, c, t, SUM(c) OVER (PARTITION BY feature{c} ORDER BY v, model{c} {cum}) AS cum,
         SUM(c) OVER (PARTITION BY feature{c}) AS n
  FROM binned WHERE metric = 'completion'
), completion_pct AS (
  SELECT feature, model, v, c, t, n, {window_ranks} FROM completion_ranked
), latency_ranked AS (
  SELECT v, SUM(c) OVER (ORDER BY v {cum}) AS cum, SUM(c) OVER () AS n
  FROM (SELECT v, SUM(c) AS c FROM binned WHERE metric = 'latency' GROUP BY v) AS hist
)
SELECT 'prompt' AS kind, feature AS grp, CAST(NULL AS VARCHAR(200)) AS model, MAX(n) AS n, {ranks},
       CAST(NULL AS BIGINT) AS cap, CAST(NULL AS BIGINT) AS excess, CAST(NULL AS BIGINT) AS runaway
FROM prompt_ranked GROUP BY feature
UNION ALL
SELECT 'completion', feature, model, MAX(n), MAX(p50), MAX(p95), MAX(p99), MAX({cap}),
       SUM(CASE WHEN {above} THEN t - {cap} * c ELSE 0 END), SUM(CASE WHEN {above} THEN c ELSE 0 END)
FROM completion_pct GROUP BY feature, model
UNION ALL
SELECT 'latency', '', NULL, MAX(n), {ranks}, NULL, NULL, NULL FROM latency_ranked
"""


def _run(conn: Connection, scope: Scope, sql, statement=None, params=None) -> list[dict[str, Any]]:
    d = Dialect.of(conn)
    d.prepare(conn)
    statement = scope.bind(text(sql(d, scope)) if statement is None else statement)
    result = conn.execute(statement, {**scope.params(), **(params or {})})
    rows = [dict(row._mapping) for row in result]
    for row in rows:
        for name in _MONEY & row.keys():
            row[name] = from_units(row[name], d.postgres)
    return rows


def aggregate_rows(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    """The aggregate statement's rows (no profile is touched, so it may run beside the others)."""
    statement = text(_aggregate_sql(Dialect.of(conn), scope)).bindparams(
        bindparam("whole_start", type_=DateTime()), bindparam("whole_end", type_=DateTime()))
    return _run(conn, scope, _aggregate_sql, statement, whole_hours(scope))


def replay_rows(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    return _run(conn, scope, _replay_sql)


def distribution_rows(conn: Connection, scope: Scope) -> list[dict[str, Any]]:
    statement = text(_distributions_sql(Dialect.of(conn), scope)).bindparams(
        bindparam("day_start", type_=DateTime()), bindparam("day_end", type_=DateTime()))
    return _run(conn, scope, _distributions_sql, statement, whole_days(scope))


def apply_aggregates(profile: UsageProfile, rows: list[dict[str, Any]]) -> int:
    """Fill the profile's totals and breakdowns (first: the other two add to them); returns the row count."""
    names = [name for name, _, _ in MEASURES]
    for row in rows:
        kind, measures = row["kind"], Measures(**measure_values(row, names))
        if kind == "total":
            profile.totals = measures
        elif measures.records == 0:
            continue
        elif kind == "model":
            profile.by_model[(row["model"], row["provider"])] = measures
        elif kind == "provider":
            profile.by_provider[row["provider"]] = measures
        elif kind == "feature":
            profile.by_feature[row["feature"]] = measures
        elif kind == "day":
            profile.by_day[str(row["day"])] = measures
        elif kind == "hour":
            profile.by_hour[int(row["hour"])] = measures
        elif kind == "cell":
            profile.cells[(row["feature"], row["model"], row["provider"], bool(row["batch"]))] = measures
    return len(rows)


def apply_repeats(profile: UsageProfile, rows: list[dict[str, Any]]) -> int:
    """Add the repeat and cache-hit measures to the profile's cells and totals; returns the cells touched."""
    names = [name for name, _ in _REPLAY_MEASURES]
    totals: dict[str, Any] = dict.fromkeys(_REPLAY_TOTALS, 0)
    for row in rows:
        key = (row["feature"], row["model"], row["provider"], bool(row["batch"]))
        values = measure_values(row, names)
        profile.cells[key] = replace(profile.cells.get(key, Measures()), **values)
        for name in totals:
            totals[name] += values[name]
    profile.totals = replace(profile.totals, **totals)
    return len(rows)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def apply_distributions(profile: UsageProfile, rows: list[dict[str, Any]]) -> int:
    """Fill the profile's percentiles and runaway outputs; returns how many rows came back."""
    for row in rows:
        kind, group = row["kind"], row["grp"]
        if row["n"] is None:  # no values at all (the latency row of a range without latencies)
            continue
        pct = Percentiles(int(row["n"]), _int(row["p50"]), _int(row["p95"]), _int(row["p99"]))
        if kind == "prompt":
            profile.prompt[group] = pct
        elif kind == "completion":
            profile.completion[group] = pct
            if row["runaway"]:
                profile.runaway[(group, row["model"])] = Runaway(int(row["cap"]), int(row["runaway"]),
                                                                 int(row["excess"]))
        elif kind == "latency":
            profile.latency = pct
    return len(rows)
