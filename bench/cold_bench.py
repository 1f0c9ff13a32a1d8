"""Cold start of every function unit, side by side with a bare function: ``python -m bench.cold_bench``.

Every unit of ``infra/manifest.toml`` whose kind is ``function`` (the chat is a long-lived
container, not a function) and the bare functions-framework ``hello`` function start with the same
command as deployed (``functions-framework --target T --source main.py``, its production
gunicorn), taking turns for ``--runs`` repetitions after one untimed start each (which
byte-compiles any changed file). Each start is timed from process start:

1. to the first 200 on the unit's health route (hello: ``GET /``), polled every few milliseconds
   as a platform's startup probe would; target: at most 1.3x hello;
2. to the 200 of one real request sent as soon as health answered: ``POST /auth/validate`` with a
   valid token, ``GET /api/usage/summary`` and each agent's ``POST`` with a Bearer token, on an
   SQLite database holding a little demo data (hello: ``GET /`` again). It includes whatever the
   unit still had to import for it; ``after health`` is that request's own time.

Medians and their ratio to hello are printed, and the server's CPU time at both moments (other
load on the machine disturbs it far less than wall time). ``--json PATH`` also writes the figures.
The exit status is 1 when a unit misses the health target.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from bench.function_server import HELLO_SOURCE, bench_environment, function_server

HEALTH_TARGET = 1.3
DEMO_ROWS = 300
QUESTION = "Where did my LLM money go in the last 30 days?"


@dataclass(frozen=True)
class Subject:
    """One function as the bench starts it, and the real request that shows it can answer."""
    name: str
    target: str
    source: str
    health: str
    method: str
    path: str
    body: bytes | None
    headers: dict[str, str]
    expect: bytes  # in the body of a right answer


def subjects(token: str) -> list[Subject]:
    """Hello first, then every function unit of the manifest with its main request."""
    from infra import manifest
    bearer = {"Authorization": f"Bearer {token}"}
    as_json = {"Content-Type": "application/json"}
    found = [Subject("hello", "hello", HELLO_SOURCE, "/", "GET", "/", None, {}, b"hello")]
    for unit in manifest.functions():
        prefix = unit.paths[0].rstrip("/")
        request: tuple[str, str, bytes | None, dict[str, str], bytes]
        if unit.name == "auth":
            request = ("POST", f"{prefix}/validate", json.dumps({"token": token}).encode(), as_json, b'"valid": true')
        elif unit.name == "usage":
            request = ("GET", f"{prefix}/summary", None, bearer, b'"totals"')
        elif unit.name.startswith("agents_"):
            request = ("POST", prefix, json.dumps({"message": QUESTION}).encode(), {**bearer, **as_json},
                       b'"status": "success"')
        else:
            raise SystemExit(f"bench.cold_bench has no main request for the unit {unit.name!r}: add one")
        found.append(Subject(unit.name, unit.entry_point, "main.py", unit.health, *request))
    return found


def demo_account(env: dict[str, str]) -> str:
    """An account with ``DEMO_ROWS`` demo records in the bench database; its access token."""
    os.environ.update(env)
    from datetime import datetime

    from shared.auth import issue_access_token
    from shared.db import reset_engine, transaction
    from shared.db.schema import users
    from shared.demo import load_demo
    user_id, email = str(uuid.uuid4()), "bench-cold@example.com"
    with transaction() as conn:
        conn.execute(users.insert().values(id=user_id, email=email, name="Bench", password_hash="-",
                                           created_at=datetime.now(UTC).replace(tzinfo=None)))
    load_demo(user_id, rows=DEMO_ROWS, days=30)
    reset_engine()  # the servers, not this process, use the database from here on
    return issue_access_token(user_id, email, uuid.uuid4().hex)[0]


def one_start(subject: Subject, env: dict[str, str]) -> dict[str, float | None]:
    """Seconds (wall and server CPU) from process start to health, and to the first real answer."""
    with function_server(subject.target, subject.source, env, subject.name) as server:
        health_s = server.wait_ready(subject.health)
        health_cpu = server.cpu_s()
        status, payload = server.request(subject.method, subject.path, subject.body, subject.headers, timeout_s=120)
        answer_s = time.perf_counter() - server.started
        answer_cpu = server.cpu_s()
    if status != 200 or subject.expect not in payload:
        raise RuntimeError(f"{subject.name}: {subject.method} {subject.path} answered {status}: {payload[:300]!r}")
    return {"health_s": health_s, "answer_s": answer_s, "health_cpu_s": health_cpu, "answer_cpu_s": answer_cpu}


def measure(found: list[Subject], env: dict[str, str], runs: int) -> dict[str, list[dict]]:
    for subject in found:  # untimed: byte-compiles changed files, fills the page cache
        one_start(subject, env)
    samples: dict[str, list[dict]] = {subject.name: [] for subject in found}
    for run in range(runs):
        shift = run % len(found)
        for subject in found[shift:] + found[:shift]:  # no function always goes first
            samples[subject.name].append(one_start(subject, env))
    return samples


def summarise(samples: dict[str, list[dict]]) -> dict[str, dict]:
    figures: dict[str, dict] = {}
    for name, starts in samples.items():
        row: dict = {}
        for key in ("health_s", "answer_s", "health_cpu_s", "answer_cpu_s"):
            values = [start[key] for start in starts if start[key] is not None]
            row[key.replace("_s", "_ms")] = statistics.median(values) * 1000 if values else None
        row["after_health_ms"] = statistics.median((s["answer_s"] - s["health_s"]) * 1000 for s in starts)
        row["samples_ms"] = {"health": [round(s["health_s"] * 1000) for s in starts],
                             "answer": [round(s["answer_s"] * 1000) for s in starts]}
        figures[name] = row
    hello = figures["hello"]
    for row in figures.values():
        for key in ("health_ms", "answer_ms", "health_cpu_ms", "answer_cpu_ms"):
            if row[key] is not None and hello[key]:
                row[key.replace("_ms", "_ratio")] = round(row[key] / hello[key], 3)
        row["health_target_met"] = row["health_ratio"] <= HEALTH_TARGET
    return figures


def report(figures: dict[str, dict], runs: int) -> None:
    print(f"\nCold start of each function unit vs bare functions-framework hello, median of {runs} "
          f"({os.cpu_count()} CPUs; functions-framework --target T --source main.py)\n")
    print(f"{'unit':<22}{'health ms':>10}{'ratio':>8}  {'<=1.3x':<7}{'answer ms':>10}{'ratio':>8}"
          f"{'after health':>13}{'CPU health':>11}{'ratio':>7}{'CPU answer':>11}{'ratio':>7}")
    print("-" * 114)
    for name, row in figures.items():
        verdict = "" if name == "hello" else ("met" if row["health_target_met"] else "MISSED")
        cpu = (f"{row['health_cpu_ms']:>11.0f}{row['health_cpu_ratio']:>6.2f}x{row['answer_cpu_ms']:>11.0f}"
               f"{row['answer_cpu_ratio']:>6.2f}x" if row["health_cpu_ms"] is not None else "")
        print(f"{name:<22}{row['health_ms']:>10.0f}{row['health_ratio']:>7.2f}x  {verdict:<7}"
              f"{row['answer_ms']:>10.0f}{row['answer_ratio']:>7.2f}x{row['after_health_ms']:>13.0f}{cpu}")
    print("\nSamples (ms from process start: health / answer)")
    for name, row in figures.items():
        pairs = ", ".join(f"{h}/{a}" for h, a in zip(row["samples_ms"]["health"], row["samples_ms"]["answer"], strict=True))
        print(f"  {name:<20} {pairs}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="cold starts per function")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tokenwise-cold-") as workdir:
        env = bench_environment(Path(workdir))
        found = subjects(demo_account(env))
        figures = summarise(measure(found, env, args.runs))
    report(figures, args.runs)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if all(row["health_target_met"] for row in figures.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
