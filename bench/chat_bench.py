"""The chat container under load, side by side with a bare WebSocket server: ``python -m bench.chat_bench``.

In one run:

1. sockets: ``--sockets`` (1,000) concurrent authenticated sockets on one chat
   process started with the production command (gunicorn, gevent worker, see
   ``functions/chat/DEPLOY.md``), each sending ``--pings`` (20) pings one after
   another, against a bare asyncio ``websockets`` server on this machine that
   answers the same JSON ping with the same JSON pong, in ``--rounds`` (3)
   alternating rounds. On a shared machine a busy moment can halve a round's
   rate, so each server's least disturbed (fastest) round counts, as ``timeit``
   takes the minimum; every round is printed, and errors count from all of them.
   Server CPU time per ping, which other load hardly disturbs, is reported as a
   ratio too. Reported: message rate (pongs/s), round trip p50/p99 and errors;
   targets: rate at least 0.8x the bare server, p99 at most 250 ms, no errors.
   Clients offer permessage-deflate as browsers do (``--client-compression
   none``: they do not); the bare server accepts it, the chat declines it by
   default (``CHAT_WS_COMPRESSION``). Server CPU per ping and memory with every
   socket open are reported too. ``--worker gthread`` runs the chat under
   gunicorn's threaded worker instead (a thread per socket), for the comparison
   that chose gevent;
2. questions (``bench.chat_questions``): ``--questions`` (100) sockets of the demo
   account each ask one question over ``--records`` (100,000) demo records in
   PostgreSQL; p50/p95 time to the first agent event and to the final answer.
   ``--skip-questions`` leaves it out.

The client runs in this process (asyncio), the servers in their own; all share
the machine. ``--json PATH`` also writes the figures. The open-files limit is
raised to its hard limit for every process of the run.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, cpu_seconds, free_port, percentile, server_process, wait_for_port

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
RATE_TARGET, P99_TARGET_MS = 0.8, 250.0
PRODUCTION_COMMAND = [GUNICORN, "-c", "functions/chat/gunicorn.conf.py", "-k", "gevent", "-w", "1",
                      "--worker-connections", "2000", "--timeout", "0", "--graceful-timeout", "8"]
APP = "functions.chat.app:create_app()"


SERVER_PIDS: dict[int, int] = {}


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its descendants, in MiB."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        pending.extend(int(child) for child in children)
    return round(total / 1024, 1)


def raise_open_files_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


@contextmanager
def chat_server(env: dict[str, str], worker: str = "gevent", sockets: int = 1000) -> Iterator[int]:
    """The chat under the production command on a free port (``worker="gthread"``: a thread per socket)."""
    port = free_port()
    command = PRODUCTION_COMMAND if worker == "gevent" else [
        *PRODUCTION_COMMAND, "-k", "gthread", "--threads", str(sockets + 50)]
    with tempfile.NamedTemporaryFile("w+", prefix="chat-bench-", suffix=".log", delete=False) as log:
        try:
            with server_process([*command, "-b", f"127.0.0.1:{port}", APP],
                                {**os.environ, **env, "PYTHONPATH": str(ROOT)}, stdout=log,
                                stderr=subprocess.STDOUT, stop_timeout_s=15) as process:
                wait_for_port(port, process)
                SERVER_PIDS[port] = process.pid
                yield port
        finally:
            print(f"  (chat server log: {log.name})", flush=True)


@contextmanager
def echo_server() -> Iterator[int]:
    port = free_port()
    with server_process([sys.executable, "-m", "bench.chat_bench", "--serve-echo", str(port)],
                        {**os.environ, "PYTHONPATH": str(ROOT)}, stdout=None, stderr=None) as process:
        wait_for_port(port, process)
        SERVER_PIDS[port] = process.pid
        yield port


async def _echo_main(port: int) -> None:
    from websockets.asyncio.server import serve

    async def handler(ws):
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "ping":
                await ws.send(json.dumps({"type": "pong", "server_time": datetime.now(UTC).isoformat(),
                                          "id": message.get("id")}))

    async with serve(handler, "127.0.0.1", port, max_size=65536, ping_interval=None):
        await asyncio.Future()


async def ping_load(url: str, tokens: list[str | None], pings: int, expect_welcome: bool,
                    compression: str | None = "deflate") -> dict:
    """Open every socket, then all send ``pings`` pings one after another; rate, round trips, errors."""
    from websockets.asyncio.client import connect
    errors: list[str] = []
    round_trips: list[float] = []
    opened = asyncio.Semaphore(100)
    start = asyncio.Event()
    ready = 0

    async def client(token: str | None) -> None:
        nonlocal ready
        try:
            async with opened:
                ws = await connect(url, subprotocols=[f"jwt.{token}"] if token else None, open_timeout=60,
                                   ping_interval=None, max_size=2 ** 20, compression=compression)
                if expect_welcome:
                    welcome = json.loads(await ws.recv())
                    if welcome.get("type") != "connection_established":
                        raise RuntimeError(f"first frame {welcome.get('type')}")
        except Exception as exc:  # counted and reported: the bench's verdict needs every failure
            errors.append(f"connect: {type(exc).__name__}: {exc}")
            ready += 1
            return
        ready += 1
        try:
            await start.wait()
            for n in range(pings):
                sent = time.perf_counter()
                await ws.send(json.dumps({"type": "ping", "id": n}))
                answer = json.loads(await ws.recv())
                if answer.get("type") != "pong" or answer.get("id") != n:
                    raise RuntimeError(f"unexpected answer {answer.get('type')}")
                round_trips.append((time.perf_counter() - sent) * 1000)
        except Exception as exc:
            errors.append(f"ping: {type(exc).__name__}: {exc}")
        finally:
            await ws.close()

    tasks = [asyncio.create_task(client(token)) for token in tokens]
    while ready < len(tokens):
        await asyncio.sleep(0.05)
    server_pid = SERVER_PIDS.get(int(url.split(":")[2].split("/")[0]))
    memory = rss_mb(server_pid) if server_pid else None
    cpu_before = (cpu_seconds(server_pid) or 0.0) if server_pid else 0.0
    client_before = resource.getrusage(resource.RUSAGE_SELF)
    began = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
    wall = time.perf_counter() - began
    server_cpu = ((cpu_seconds(server_pid) or 0.0) - cpu_before) if server_pid else 0.0
    client_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (client_after.ru_utime - client_before.ru_utime) + (client_after.ru_stime - client_before.ru_stime)
    return {"sockets": len(tokens), "pings": len(round_trips), "seconds": round(wall, 3),
            "rate_per_s": round(len(round_trips) / wall, 1) if wall else 0.0,
            "server_cpu_us_per_ping": round(server_cpu / len(round_trips) * 1e6, 1) if round_trips else None,
            "client_cpu_us_per_ping": round(client_cpu / len(round_trips) * 1e6, 1) if round_trips else None,
            "server_rss_mb_with_sockets_open": memory,
            "p50_ms": round(percentile(round_trips, 0.5), 1), "p99_ms": round(percentile(round_trips, 0.99), 1),
            "errors": len(errors), "first_errors": errors[:5]}


def _best_round(rounds: list[dict]) -> dict:
    """The least disturbed round (highest rate), with every round's rate and the errors of all rounds."""
    chosen = max(rounds, key=lambda r: r["rate_per_s"])
    return {**chosen, "rounds_rate_per_s": [r["rate_per_s"] for r in rounds],
            "errors": sum(r["errors"] for r in rounds),
            "first_errors": [e for r in rounds for e in r["first_errors"]][:5]}


def socket_part(args, env: dict[str, str]) -> dict:
    from shared.auth import issue_access_token
    tokens = [issue_access_token(uuid.uuid4().hex, f"bench-{i}@example.com", "bench")[0]
              for i in range(args.sockets)]
    compression = None if args.client_compression == "none" else "deflate"
    print(f"sockets: {args.sockets} sockets x {args.pings} pings, {args.rounds} alternating rounds, "
          f"clients offer compression: {args.client_compression}", flush=True)
    chat_rounds, bare_rounds = [], []
    with chat_server(env, args.worker, args.sockets) as chat_port, echo_server() as echo_port:
        for _ in range(args.rounds):  # alternating, so that a busy moment of the machine hits both alike
            chat_rounds.append(asyncio.run(ping_load(f"ws://127.0.0.1:{chat_port}/ws", tokens, args.pings, True,
                                                     compression)))
            bare_rounds.append(asyncio.run(ping_load(f"ws://127.0.0.1:{echo_port}", [None] * args.sockets,
                                                     args.pings, False, compression)))
    chat, bare = _best_round(chat_rounds), _best_round(bare_rounds)
    for name, figures in ((f"chat (gunicorn {args.worker})", chat), ("bare asyncio websockets", bare)):
        print(f"  {name}: {figures['rate_per_s']} msg/s (rounds {figures['rounds_rate_per_s']}), "
              f"p50 {figures['p50_ms']} ms, p99 {figures['p99_ms']} ms, errors {figures['errors']}, "
              f"CPU per ping: server {figures['server_cpu_us_per_ping']} us, "
              f"client {figures['client_cpu_us_per_ping']} us", flush=True)
    ratio = round(chat["rate_per_s"] / bare["rate_per_s"], 3) if bare["rate_per_s"] else 0.0
    cpu_ratio = round(bare["server_cpu_us_per_ping"] / chat["server_cpu_us_per_ping"], 3)
    verdict = {"rate_ratio": ratio, "server_cpu_ratio": cpu_ratio, "rate_ok": ratio >= RATE_TARGET,
               "p99_ok": chat["p99_ms"] <= P99_TARGET_MS,
               "errors_ok": chat["errors"] == 0}
    print(f"  rate ratio {ratio} (target >= {RATE_TARGET}): {'PASS' if verdict['rate_ok'] else 'FAIL'}; "
          f"server CPU per ping, bare/chat: {cpu_ratio}; "
          f"p99 {'PASS' if verdict['p99_ok'] else 'FAIL'} (<= {P99_TARGET_MS} ms); "
          f"errors {'PASS' if verdict['errors_ok'] else 'FAIL'}", flush=True)
    return {"chat": chat, "bare": bare, **verdict}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--pings", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--client-compression", choices=["deflate", "none"], default="deflate")
    parser.add_argument("--worker", choices=["gevent", "gthread"], default="gevent")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--query-timeout-s", type=float, default=120)
    parser.add_argument("--skip-questions", action="store_true")
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--json", dest="json_path", default=None)
    parser.add_argument("--serve-echo", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    limit = raise_open_files_limit()
    if args.serve_echo:
        asyncio.run(_echo_main(args.serve_echo))
        return 0
    if limit < 2 * args.sockets + 100:
        print(f"open-files limit {limit} is too low for {args.sockets} sockets", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as data:
        env = {"TOKENWISE_ENV": "development", "TOKENWISE_DATA_DIR": data, "JWT_SECRET": secrets.token_urlsafe(48),
               "DATABASE_URL": f"sqlite:///{data}/bench.db", "LOG_LEVEL": "WARNING"}
        os.environ.update(env)
        from shared.db.migrate import upgrade
        upgrade()
        figures = {"machine": {"cpus": os.cpu_count(), "open_files": limit}, "sockets": socket_part(args, env)}
        if not args.skip_questions:
            from bench.chat_questions import question_part
            figures["questions"] = question_part(args, env, chat_server)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(figures, indent=2))
    sockets = figures["sockets"]
    return 0 if sockets["rate_ok"] and sockets["p99_ok"] and sockets["errors_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
