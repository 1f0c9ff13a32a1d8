"""Part 2 of ``bench.chat_bench``: many sockets each ask one question over the demo records.

The demo account gets ``--records`` demo records (``shared.demo.load_demo``) in a
PostgreSQL schema of its own, dropped afterwards (``--pg-url``, else
``TOKENWISE_BENCH_PG_URL``, ``TOKENWISE_TEST_PG_URL``, the local server). One chat
process (the production command, the real supervisor pipeline) then serves
``--questions`` sockets of that account which all ask at once, one question
each (five kinds of question in turn), in a new thread. Reported: p50/p95 time
from sending to the first agent event and to the closing answer, how the runs
ended, and the load time of the records. ``--query-timeout-s`` (120) is the
chat's database socket timeout for this part.
"""
from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import create_engine, text

from bench.common import percentile, pg_url

QUESTIONS = ["Where did my LLM money go in the last 30 days?", "How can I cut my LLM costs?",
             "Which models cost the most this month?", "Would prompt caching save us money?",
             "How did our LLM usage trend over the last 30 days?"]
EVENT_TYPES = {"agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed",
               "agent_error"}


async def ask_all(url: str, token: str, questions: int) -> dict:
    from websockets.asyncio.client import connect
    sockets = [await connect(url, subprotocols=[f"jwt.{token}"], open_timeout=60, ping_interval=None,
                             max_size=2 ** 22) for _ in range(questions)]
    for ws in sockets:
        json.loads(await ws.recv())
    first_event, final, outcomes, errors = [], [], {}, []

    async def one(ws, question: str) -> None:
        sent = time.perf_counter()
        await ws.send(json.dumps({"type": "user_message", "content": question}))
        seen_event = False
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 600))
            if frame.get("type") == "error":
                errors.append(frame.get("code"))
                return
            if frame.get("type") in EVENT_TYPES and not seen_event:
                seen_event = True
                first_event.append((time.perf_counter() - sent) * 1000)
            if frame.get("type") == "agent_completed" and frame.get("agent") == "supervisor":
                final.append((time.perf_counter() - sent) * 1000)
                status = frame["payload"].get("status") or "completed"
                outcomes[status] = outcomes.get(status, 0) + 1
                return

    began = time.perf_counter()
    results = await asyncio.gather(*(one(ws, QUESTIONS[i % len(QUESTIONS)]) for i, ws in enumerate(sockets)),
                                   return_exceptions=True)
    wall = time.perf_counter() - began
    errors += [f"{type(r).__name__}: {r}" for r in results if isinstance(r, Exception)]
    for ws in sockets:
        await ws.close()
    return {"questions": questions, "seconds": round(wall, 2), "outcomes": outcomes, "errors": errors[:5],
            "error_count": len(errors),
            "first_event_ms": {"p50": round(percentile(first_event, 0.5)), "p95": round(percentile(first_event, 0.95))},
            "final_answer_ms": {"p50": round(percentile(final, 0.5)), "p95": round(percentile(final, 0.95))}}


def question_part(args, env: dict[str, str], chat_server) -> dict:
    from shared.auth import issue_access_token
    from shared.db import reset_engine, transaction
    from shared.db.migrate import upgrade
    from shared.db.schema import users
    from shared.demo import load_demo

    url = pg_url(args.pg_url)
    schema = f"bench_chat_{uuid.uuid4().hex[:10]}"
    # DB_CONNECT_TIMEOUT_S is also pg8000's socket timeout: the agents' queries over this many records
    # can take longer than its 5 s default on a busy machine, and would then count as an outage.
    pg_env = {**env, "DATABASE_URL": url, "TOKENWISE_DB_SCHEMA": schema,
              "DB_CONNECT_TIMEOUT_S": str(args.query_timeout_s)}
    os.environ.update(pg_env)
    reset_engine()
    print(f"questions: {args.questions} sockets, one question each, over {args.records:,} demo records", flush=True)
    try:
        upgrade()
        user_id, email = uuid.uuid4().hex, "bench-demo@example.com"
        with transaction() as conn:
            conn.execute(users.insert().values(id=user_id, email=email, name="Bench", password_hash="-",
                                               created_at=datetime.now(UTC).replace(tzinfo=None)))
        started = time.perf_counter()
        load_demo(user_id, rows=args.records, days=30)
        load_s = round(time.perf_counter() - started, 1)
        print(f"  loaded {args.records:,} records in {load_s} s", flush=True)
        token = issue_access_token(user_id, email, "bench")[0]
        with chat_server(pg_env) as port:
            figures = asyncio.run(ask_all(f"ws://127.0.0.1:{port}/ws", token, args.questions))
    finally:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()
        reset_engine()
    print(f"  first event p50 {figures['first_event_ms']['p50']} ms, p95 {figures['first_event_ms']['p95']} ms; "
          f"final answer p50 {figures['final_answer_ms']['p50']} ms, p95 {figures['final_answer_ms']['p95']} ms; "
          f"outcomes {figures['outcomes']}, errors {figures['error_count']}, all in {figures['seconds']} s",
          flush=True)
    return {"records": args.records, "load_seconds": load_s, **figures}
