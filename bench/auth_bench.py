"""Auth unit vs a bare functions-framework function, side by side: ``python -m bench.auth_bench``.

Measures, in one run and with the same server command for both
(``functions-framework --target T --source S``, i.e. its production gunicorn):

1. cold start: process start to the first 200 on the health route (auth:
   ``GET /auth/health``, which also probes the database; hello: ``GET /``),
   taking turns for ``--runs`` repetitions; medians and their ratio (target: auth
   at most 1.3x hello). The target row loads auth as deployed, through the root
   ``main.py`` (which imports every unit's entry point); for context the auth unit
   alone (``--source functions/auth/main.py`` with the repository on ``PYTHONPATH``)
   is timed to its health and to its first ``POST /auth/validate`` (no database);
2. throughput: ``POST /auth/validate`` with a real access token against ``POST /``
   on hello, ``--requests`` requests from ``--clients`` keep-alive client threads,
   after a warm-up, median of ``--rounds`` alternating rounds (target: at least 0.7x);
3. where cold start goes: import cost of the layers in fresh interpreters.

Wall-clock figures move with whatever else the machine runs, so each is paired
with the server's own CPU time (Linux ``/proc``: gunicorn master plus worker),
which other processes barely disturb: CPU spent until ready, and per request.

The auth unit runs on a fresh, migrated SQLite file in a temporary data folder with
a random ``JWT_SECRET``. ``--json PATH`` also writes the figures as JSON.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT
from bench.function_server import HELLO_SOURCE, FunctionServer, bench_environment, function_server

COLD_START_TARGET = 1.3
THROUGHPUT_TARGET = 0.7


@dataclass(frozen=True)
class Target:
    name: str
    target: str
    source: str
    health: str  # the route whose first 200 means "ready"
    post_path: str
    ready_by_post: bool = False  # ready means the first POST of a real token to ``health``


AUTH = Target("auth", "auth", "main.py", "/auth/health", "/auth/validate")
HELLO = Target("hello", "hello", HELLO_SOURCE, "/", "/")
AUTH_UNIT = Target("auth unit alone", "auth", "functions/auth/main.py", "/auth/health", "/auth/validate")
AUTH_UNIT_VALIDATE = Target("auth unit, validate", "auth", "functions/auth/main.py", "/auth/validate",
                            "/auth/validate", ready_by_post=True)


def wait_ready(server: FunctionServer, target: Target, probe_body: bytes) -> float:
    """Seconds from process start to the first 200 on the target's health route."""
    if not target.ready_by_post:
        return server.wait_ready(target.health)
    return server.wait_ready(target.health, "POST", probe_body, {"Content-Type": "application/json"})


def serve(target: Target, env: dict[str, str]):
    return function_server(target.target, target.source, env, target.name)


def cold_starts(env: dict[str, str], runs: int, validate_body: bytes) -> tuple[dict, dict]:
    """Wall seconds to ready, and server CPU seconds at that moment, per kind."""
    kinds = [AUTH, HELLO, AUTH_UNIT, AUTH_UNIT_VALIDATE]
    times: dict[str, list[float]] = {target.name: [] for target in kinds}
    cpu: dict[str, list[float]] = {target.name: [] for target in kinds}
    for run in range(runs):
        shift = run % len(kinds)
        for target in kinds[shift:] + kinds[:shift]:  # no kind always goes first
            with serve(target, env) as server:
                times[target.name].append(wait_ready(server, target, validate_body))
                used = server.cpu_s()
                if used is not None:
                    cpu[target.name].append(used)
    return times, cpu


def access_token(port: int) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"email": f"bench-{secrets.token_hex(5)}@example.com",
                       "password": secrets.token_urlsafe(18), "name": "Bench"})
    conn.request("POST", "/auth/register", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"register answered {response.status}: {payload}")
    return payload["access_token"]


def hammer(port: int, path: str, body: bytes, requests: int, clients: int, expect: bytes | None) -> float:
    """Requests per second for ``requests`` POSTs spread over ``clients`` keep-alive connections."""
    errors: list[str] = []
    barrier = threading.Barrier(clients + 1)
    share = [requests // clients + (1 if i < requests % clients else 0) for i in range(clients)]

    def client(count: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"}
        barrier.wait()
        for _ in range(count):
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            payload = response.read()
            if response.status != 200 or (expect is not None and expect not in payload):
                errors.append(f"{response.status} {payload[:200]!r}")
                break
        conn.close()

    threads = [threading.Thread(target=client, args=(count,)) for count in share]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"unexpected answer from {path}: {errors[0]}")
    return requests / elapsed


def throughputs(env: dict[str, str], body: bytes, requests: int, clients: int,
                rounds: int) -> tuple[dict, dict]:
    """Requests per second, and server CPU microseconds per request, per function."""
    results: dict[str, list[float]] = {AUTH.name: [], HELLO.name: []}
    cpu: dict[str, list[float]] = {AUTH.name: [], HELLO.name: []}
    for run in range(rounds):
        for target in ((AUTH, HELLO) if run % 2 == 0 else (HELLO, AUTH)):
            with serve(target, env) as server:
                server.wait_ready(target.health)
                expect = b'"valid": true' if target is AUTH else b"hello"
                hammer(server.port, target.post_path, body, max(200, requests // 10), clients, expect)
                before = server.cpu_s()
                results[target.name].append(
                    hammer(server.port, target.post_path, body, requests, clients, expect))
                after = server.cpu_s()
                if before is not None and after is not None:
                    cpu[target.name].append((after - before) / requests * 1e6)
    return results, cpu


def warm_up(env: dict[str, str]) -> bytes:
    """Start each function once untimed (byte-compiles any changed file) and get a real token."""
    with serve(HELLO, env) as server:
        server.wait_ready(HELLO.health)
    with serve(AUTH, env) as server:
        server.wait_ready(AUTH.health)
        return json.dumps({"token": access_token(server.port)}).encode()


IMPORT_LAYERS = [
    ("functions_framework", "import functions_framework"),
    ("+ shared.http, shared.health", "import shared.http, shared.health"),
    ("+ functions.auth.main (the unit)", "import functions.auth.main"),
    ("+ shared.db.status (the probe, on first health)", "import shared.db.status"),
    ("+ shared.db.engine (SQLAlchemy, in the background)", "import shared.db.engine, shared.db.schema"),
    ("+ shared.auth.tokens (PyJWT, on first token)", "import shared.auth.tokens"),
    ("+ functions.auth.flows (argon2, store)", "import functions.auth.flows"),
    ("+ root main.py (every other unit too)", "import main"),
]


def import_costs(env: dict[str, str], repeats: int = 3) -> list[tuple[str, float]]:
    """Median extra milliseconds each layer adds on top of the ones before it, in a fresh interpreter."""
    script = ("import time, json\nmarks = []\n" + "".join(
        f"t = time.perf_counter(); {statement}; marks.append(time.perf_counter() - t)\n"
        for _, statement in IMPORT_LAYERS) + "print(json.dumps(marks))")
    samples = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout
        samples.append(json.loads(out.strip().splitlines()[-1]))
    return [(label, statistics.median(sample[i] for sample in samples) * 1000)
            for i, (label, _) in enumerate(IMPORT_LAYERS)]


def _ratio_row(label: str, auth: float, hello: float, target: str, met: bool | None) -> str:
    verdict = "" if met is None else ("met" if met else "MISSED")
    return f"{label:<48}{auth:>10.0f}{hello:>10.0f}{auth / hello:>8.2f}x{target:>9}  {verdict}"


def report(cold: dict[str, list[float]], cold_cpu: dict[str, list[float]], rps: dict[str, list[float]],
           rps_cpu: dict[str, list[float]], imports: list[tuple[str, float]], args: argparse.Namespace) -> dict:
    median_ms = {name: statistics.median(samples) * 1000 for name, samples in cold.items()}
    median_rps = {name: statistics.median(samples) for name, samples in rps.items()}
    cold_ratio = median_ms[AUTH.name] / median_ms[HELLO.name]
    rps_ratio = median_rps[AUTH.name] / median_rps[HELLO.name]
    print(f"\nAuth unit vs bare functions-framework hello ({os.cpu_count()} CPUs, same command: "
          f"functions-framework --target T --source S, gunicorn THREADS={os.environ.get('THREADS', 'default')})\n")
    print(f"{'measure':<48}{'auth':>10}{'hello':>10}{'ratio':>9}{'target':>9}  result")
    print("-" * 96)
    print(_ratio_row(f"cold start to 200 on health, median of {args.runs} (ms)", median_ms[AUTH.name],
                     median_ms[HELLO.name], "<= 1.3x", cold_ratio <= COLD_START_TARGET))
    cpu_ms = {name: statistics.median(samples) * 1000 for name, samples in cold_cpu.items() if samples}
    context = [(AUTH_UNIT, "  auth unit alone, to 200 on health (ms)"),
               (AUTH_UNIT_VALIDATE, "  auth unit alone, to 200 on POST validate (ms)")]
    for target, label in context:
        print(_ratio_row(label, median_ms[target.name], median_ms[HELLO.name], "", None))
    if len(cpu_ms) == len(cold_cpu):
        for target, label in [(AUTH, "  server CPU until ready: as deployed (ms)"),
                              (AUTH_UNIT, "  server CPU until ready: unit, health (ms)"),
                              (AUTH_UNIT_VALIDATE, "  server CPU until ready: unit, validate (ms)")]:
            print(_ratio_row(label, cpu_ms[target.name], cpu_ms[HELLO.name], "", None))
    print(_ratio_row(f"POST validate, median of {args.rounds} rounds (req/s)", median_rps[AUTH.name],
                     median_rps[HELLO.name], ">= 0.7x", rps_ratio >= THROUGHPUT_TARGET))
    cpu_us = {name: statistics.median(samples) for name, samples in rps_cpu.items() if samples}
    if len(cpu_us) == len(rps_cpu):
        # Shown as hello/auth so that it reads like the throughput ratio it bounds.
        label = "  server CPU per request (us; ratio hello/auth)"
        print(f"{label:<48}{cpu_us[AUTH.name]:>10.0f}{cpu_us[HELLO.name]:>10.0f}"
              f"{cpu_us[HELLO.name] / cpu_us[AUTH.name]:>8.2f}x")
    print("\nSamples")
    for name, samples in cold.items():
        print(f"  cold start {name:<20} ms: {', '.join(f'{t * 1000:.0f}' for t in samples)}")
    for name, samples in rps.items():
        print(f"  throughput {name:<20} req/s: {', '.join(f'{r:.0f}' for r in samples)}"
              f"  ({args.requests} requests, {args.clients} clients)")
    print("\nWhere the cold start goes (import cost, ms, fresh interpreter, median of 3):")
    for label, millis in imports:
        print(f"  {label:<46}{millis:>8.1f}")
    return {"cold_start_ms": {**median_ms, "ratio": cold_ratio, "server_cpu_ms": cpu_ms,
                              "samples": {k: [t * 1000 for t in v] for k, v in cold.items()}},
            "validate_rps": {**median_rps, "ratio": rps_ratio, "server_cpu_us_per_request": cpu_us,
                             "samples": rps},
            "import_ms": dict(imports)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="cold starts per function")
    parser.add_argument("--requests", type=int, default=4000, help="requests per throughput round")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--rounds", type=int, default=5, help="throughput rounds per function")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tokenwise-bench-") as workdir:
        env = bench_environment(Path(workdir))
        validate_body = warm_up(env)
        cold, cold_cpu = cold_starts(env, args.runs, validate_body)
        rps, rps_cpu = throughputs(env, validate_body, args.requests, args.clients, args.rounds)
        imports = import_costs(env)
    figures = report(cold, cold_cpu, rps, rps_cpu, imports, args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
