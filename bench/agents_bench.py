"""The data and optimization agents against one raw GROUP BY scan: ``python -m bench.agents_bench``.

In a dedicated PostgreSQL schema (migrated like production, dropped afterwards) it loads N
demo-like records for one user -- the deterministic demo traffic (``shared.demo``, fixed seed),
priced from the catalog and streamed in with ``COPY ... FROM STDIN`` -- then refreshes the user's
rollups as the end of an import does (``shared.usage.rollups``, timed and printed) and ``VACUUM
ANALYZE``s the tables, as autovacuum would after a load. For the 30 days ending at the data's end it times,
``--repeat`` times after one warm-up each:

- agents: ``analyze`` (data agent) then ``optimize(data=...)`` (optimization agent, all levers),
  end to end in Python, including every SQL statement and the catalog pricing;
- raw scan: ``SELECT model, count(*), sum(cost_usd) FROM usage_records WHERE user_id = :u AND
  timestamp in range GROUP BY model`` over the same rows, through the same engine.

It prints the medians, their ratio (target: agents <= 2x the raw scan) and each tool's median
duration. On PostgreSQL the three SQL statements run at the same time (``AGENTS_SQL_CONCURRENCY``),
so ``aggregate_usage`` then carries most of the wait and the later tools only what was left. Options: ``--rows`` (50000; the issue's figure is
``--rows 1000000``), ``--seed`` (7), ``--repeat`` (5), ``--pg-url`` (``TOKENWISE_BENCH_PG_URL``,
else ``TOKENWISE_TEST_PG_URL``, else the local server), ``--json PATH`` (also write the figures),
``--keep-schema NAME`` (load into that schema once, keep it, and on later runs migrate it and reuse its
records instead of loading again).
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text

from bench import common

DAYS = 30
COLUMNS = ("user_id", "request_id", "timestamp", "provider", "model", "feature", "prompt_tokens",
           "completion_tokens", "cached_tokens", "cache_write_tokens", "latency_ms", "status", "cost_usd",
           "cost_source", "is_batch", "max_tokens", "prompt_hash", "end_user", "request_count", "source_format",
           "imported_at")
RAW_SCAN = ('SELECT model, count(*), sum(cost_usd) FROM usage_records '
            'WHERE user_id = :user_id AND "timestamp" >= :start AND "timestamp" < :end GROUP BY model')


def write_csv(path: Path, user_id: str, rows: int, seed: int, end: datetime) -> None:
    """The demo rows for ``user_id`` as COPY-ready CSV, priced from the catalog like an import would."""
    from shared.demo import generate_rows
    from shared.pricing import catalog, cost_usd

    prices, now = {}, datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        for row in generate_rows(rows, seed, end, DAYS):
            key = (row["model"], row["provider"])
            price = prices[key] if key in prices else prices.setdefault(key, catalog().lookup(*key))
            cost = (cost_usd(price, row["prompt_tokens"], row["completion_tokens"], row["cached_tokens"],
                             row["cache_write_tokens"], row["is_batch"]) if price else None)
            writer.writerow([
                user_id, row["request_id"], row["timestamp"].replace("T", " "), row["provider"], row["model"],
                row["feature"], row["prompt_tokens"], row["completion_tokens"], row["cached_tokens"],
                row["cache_write_tokens"], row["latency_ms"], row["status"], "" if cost is None else repr(cost),
                "unpriced" if cost is None else "computed", "t" if row["is_batch"] else "f",
                row["max_tokens"] or "", row["prompt_hash"] or "", row["end_user"] or "", 1, "demo", now])


def copy_in(engine, path: Path, user_id: str) -> tuple[float, float, float]:
    """Load the CSV, roll it up as an import's end does, vacuum, and return (load seconds, rollup
    refresh seconds, % of table pages all-visible).

    Index-only scans skip the heap only on all-visible pages; VACUUM cannot mark them while an
    older transaction is open anywhere on the server, so the figure is reported, not assumed.
    """
    from shared.usage.rollups import refresh_if_dirty

    started = time.perf_counter()
    with engine.begin() as conn, open(path, "rb") as source:
        cursor = conn.connection.dbapi_connection.cursor()
        cursor.execute(f"COPY usage_records ({', '.join(COLUMNS)}) FROM STDIN WITH (FORMAT csv)", stream=source)
    vacuum(engine, "usage_records")  # the refresh reads the records: give it fresh statistics too
    loaded = time.perf_counter()
    refresh_if_dirty(user_id)
    refreshed = time.perf_counter()
    vacuum(engine, "usage_hourly", "usage_histograms", "usage_repeats")
    return loaded - started, refreshed - loaded, all_visible_pct(engine)


def vacuum(engine, *tables: str) -> None:
    raw = engine.raw_connection()  # VACUUM refuses to run inside a transaction
    try:
        raw.driver_connection.rollback()  # end the transaction the pool's ping opened
        raw.driver_connection.autocommit = True
        cursor = raw.driver_connection.cursor()
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")
        cursor.close()
        raw.driver_connection.autocommit = False
    finally:
        raw.close()


def all_visible_pct(engine) -> float:
    with engine.connect() as conn:
        return float(conn.execute(text("SELECT 100.0 * relallvisible / GREATEST(relpages, 1) FROM pg_class "
                                       "WHERE oid = 'usage_records'::regclass")).scalar_one())


def time_agents(user_id: str, start: datetime, end: datetime) -> tuple[float, dict, dict]:
    from shared.agents.data.agent import analyze
    from shared.agents.optimization import optimize
    from shared.agents.pipeline.events import Emitter

    emitter = Emitter()
    began = time.perf_counter()
    data = analyze(user_id, start, end, emitter=emitter)
    result = optimize(user_id, start, end, emitter=emitter, data=data)
    elapsed = time.perf_counter() - began
    tools = {f"{e.agent}.{e.payload['tool']}": e.payload["duration_ms"] for e in emitter.events
             if e.type == "tool_completed"}
    return elapsed, tools, {"data": data.to_dict(), "optimization": result.to_dict()}


def time_raw_scan(engine, user_id: str, start: datetime, end: datetime) -> float:
    with engine.connect() as conn:
        began = time.perf_counter()
        conn.execute(text(RAW_SCAN), {"user_id": user_id, "start": start, "end": end}).all()
        return time.perf_counter() - began


def _kept(engine) -> tuple[str, datetime] | None:
    """The user and range end of a kept schema's earlier load, if it has one."""
    with engine.connect() as conn:
        found = conn.execute(text('SELECT user_id, MAX("timestamp") FROM usage_records GROUP BY user_id')).first()
    if found is None:
        return None
    return found[0], found[1].replace(microsecond=0, second=0, minute=0) + timedelta(hours=1)


def run(rows: int, seed: int, repeat: int, pg_url: str, keep_schema: str | None = None) -> dict:
    schema = keep_schema or f"tw_bench_{uuid.uuid4().hex[:10]}"
    # The driver's socket timeout and the server's statement timeout bound every statement: loading
    # a million rows needs more than the defaults.
    os.environ.update({"DATABASE_URL": pg_url, "TOKENWISE_DB_SCHEMA": schema, "DB_CONNECT_TIMEOUT_S": "900",
                       "DB_QUERY_TIMEOUT_S": "900"})
    from shared.db import get_engine, reset_engine
    from shared.db.migrate import upgrade
    from shared.db.schema import users

    reset_engine()
    end = datetime.now(UTC).replace(tzinfo=None, microsecond=0, second=0, minute=0)
    user_id = str(uuid.uuid4())
    generate_s = load_s = refresh_s = visible_pct = 0.0
    try:
        if keep_schema:
            with create_engine(pg_url).begin() as conn:
                conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {schema}"))
        upgrade()
        engine = get_engine()
        kept = _kept(engine) if keep_schema else None
        if kept is not None:
            user_id, end = kept
            visible_pct = all_visible_pct(engine)
        else:
            with engine.begin() as conn:
                conn.execute(insert(users).values(id=user_id, email=f"bench-{user_id[:8]}@example.com",
                                                  name="bench", password_hash="-", created_at=end, failed_logins=0))
            with tempfile.TemporaryDirectory(prefix="tw-agents-bench-") as folder:
                path = Path(folder) / "usage.csv"
                began = time.perf_counter()
                write_csv(path, user_id, rows, seed, end)
                generate_s = time.perf_counter() - began
                load_s, refresh_s, visible_pct = copy_in(engine, path, user_id)
        start = end - timedelta(days=DAYS)
        time_agents(user_id, start, end)  # warm-up: caches, plans, catalog
        time_raw_scan(engine, user_id, start, end)
        agents, raw, tool_runs = [], [], []
        for _ in range(repeat):
            elapsed, tools, answer = time_agents(user_id, start, end)
            agents.append(elapsed)
            tool_runs.append(tools)
            raw.append(time_raw_scan(engine, user_id, start, end))
    finally:
        reset_engine()
        if keep_schema:
            schema = None
    if schema:
        cleanup = create_engine(pg_url)
        with cleanup.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        cleanup.dispose()
    totals = answer["data"]["totals"]
    if totals["requests"] != rows:
        raise SystemExit(f"the agents saw {totals['requests']} requests, expected {rows}")
    agents_s, raw_s = statistics.median(agents), statistics.median(raw)
    return {
        "rows": rows, "repeat": repeat, "generate_s": round(generate_s, 2), "copy_and_vacuum_s": round(load_s, 2),
        "rollup_refresh_s": round(refresh_s, 2),
        "all_visible_pages_pct": round(visible_pct, 1),
        "agents_median_s": round(agents_s, 4), "agents_min_s": round(min(agents), 4),
        "raw_scan_median_s": round(raw_s, 4), "raw_scan_min_s": round(min(raw), 4),
        "ratio": round(agents_s / raw_s, 2), "target_ratio": 2.0,
        "tools_median_ms": {name: round(statistics.median(run[name] for run in tool_runs), 1)
                            for name in tool_runs[0]},
        "spend_usd": totals["cost_usd"],
        "recommendations": [r["lever"] for r in answer["optimization"]["recommendations"]],
        "total_monthly_savings_usd": answer["optimization"]["total_monthly_savings_usd"],
        "schema_dropped": schema,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.agents_bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--json", default=None)
    parser.add_argument("--keep-schema", default=None)
    args = parser.parse_args(argv)
    figures = run(args.rows, args.seed, args.repeat, common.pg_url(args.pg_url), args.keep_schema)
    print(f"rows in range              {figures['rows']:>12,}  "
          f"({figures['all_visible_pages_pct']:.0f}% of pages all-visible after VACUUM)")
    if figures["rollup_refresh_s"]:
        print(f"rollups refreshed after the load in {figures['rollup_refresh_s']:.2f} s (once, as an import's end does)")
    print(f"data + optimization agents {figures['agents_median_s']:>12.3f} s (median of {figures['repeat']})")
    print(f"raw GROUP BY model scan    {figures['raw_scan_median_s']:>12.3f} s (median of {figures['repeat']})")
    verdict = "meets" if figures["ratio"] <= figures["target_ratio"] else "misses"
    print(f"agents / raw scan          {figures['ratio']:>12.2f}x  ({verdict} the 2x target)")
    for name, ms in figures["tools_median_ms"].items():
        print(f"  {name:<36} {ms:>10.1f} ms")
    print(f"spend ${figures['spend_usd']:,.2f}; recommended {', '.join(figures['recommendations']) or 'nothing'}; "
          f"combined ${figures['total_monthly_savings_usd']:,.2f}/month")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
