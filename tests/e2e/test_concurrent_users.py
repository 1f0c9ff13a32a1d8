"""4. Concurrent connections: 50 users on 50 sockets at once, each with its own small dataset, each gets its own
answer and nothing of anybody else's."""
from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from tests.e2e.client import Account, ask_async, is_event, seq

USERS = 50
ROWS_EACH = 4
QUESTION = "How much did we spend by feature?"
HEADER = ("request_id,timestamp,provider,model,feature,prompt_tokens,completion_tokens,cached_tokens,latency_ms,"
          "status,cost_usd,prompt_hash")


def row_cost(index: int) -> float:
    return round(1 + index / 100, 2)  # user 7 pays $1.07 a request: every user's total is different


def dataset(index: int, tag: str, now: datetime) -> str:
    lines = [HEADER]
    for n in range(ROWS_EACH):
        moment = now - timedelta(hours=6, minutes=n * 7)
        lines.append(f"{tag}-r{n},{moment.isoformat()}Z,openai,gpt-4.1-mini,{tag},{900 + index},{120 + n},0,"
                     f"{400 + n},success,{row_cost(index)},{tag}-p{n}")
    return "\n".join(lines) + "\n"


def prepare_user(client, index: int, tag: str, now: datetime) -> Account:
    account = client.register(f"e2e-{tag}@example.com")
    report = client.import_csv(account, dataset(index, tag, now))
    assert (report["imported"], report["rejected"]) == (ROWS_EACH, 0), report
    return account


async def one_user(client, account: Account, context: dict, everyone_connected: asyncio.Barrier):
    async with client.socket_async(account.token) as ws:
        first = json.loads(await ws.recv())
        assert (first["type"], first["user_id"]) == ("connection_established", account.user_id)
        await everyone_connected.wait()  # all sockets are open before anyone asks
        return await ask_async(ws, QUESTION, context)


def test_fifty_users_at_once_each_get_their_own_answer(client, target):
    now = datetime.fromisoformat(target.now.removesuffix("Z"))
    batch = uuid.uuid4().hex[:8]
    tags = [f"feat{batch}u{index:02d}" for index in range(USERS)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        accounts = list(pool.map(lambda i: prepare_user(client, i, tags[i], now), range(USERS)))
    context = {"now": target.now, "time_range": {"start": (now - timedelta(days=2)).isoformat() + "Z",
                                                 "end": target.now}}

    async def everyone():
        barrier = asyncio.Barrier(USERS)
        return await asyncio.gather(*(one_user(client, account, context, barrier) for account in accounts))

    exchanges = asyncio.run(everyone())

    threads = set()
    for index, (_account, exchange) in enumerate(zip(accounts, exchanges, strict=True)):
        received = exchange.received
        threads.add(received["thread_id"])
        events = exchange.events
        assert len(events) == len(exchange.frames) - 1
        assert {(e["run_id"], e["thread_id"]) for e in events} == {(received["run_id"], received["thread_id"])}
        assert [seq(e) for e in events] == list(range(1, len(events) + 1))
        data = exchange.closing["payload"]["result"]["data"]
        assert [(f["feature"], f["requests"]) for f in data["by_feature"]] == [(tags[index], ROWS_EACH)]
        assert data["totals"]["requests"] == ROWS_EACH
        assert data["totals"]["cost_usd"] == pytest.approx(ROWS_EACH * row_cost(index))
        assert tags[index] in exchange.closing["payload"]["answer"]
        text = json.dumps(exchange.frames)
        strangers = [tag for tag in tags if tag != tags[index] and tag in text]
        assert strangers == [], f"user {index} received another user's data"
    assert len(threads) == USERS

    mine, theirs = accounts[0], exchanges[1].received["thread_id"]
    response = client.request("GET", f"/api/threads/{theirs}/messages", headers=mine.bearer())
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    own = client.request("GET", f"/api/threads/{theirs}/messages", headers=accounts[1].bearer())
    assert [m["role"] for m in own.json()["messages"]] == ["user", "assistant"]
    assert not any(is_event(f) and f["run_id"] == exchanges[1].received["run_id"] for f in exchanges[0].frames)
