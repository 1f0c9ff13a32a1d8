"""Run the read-only statements of one analysis at the same time, each on its own pooled connection.

``fetch_concurrently(scope, queries)`` is a context manager that yields one callable per query
(``query(conn, scope) -> rows``); calling it returns that query's rows, waiting for them. Option
(environment, read per call): ``AGENTS_SQL_CONCURRENCY`` (default 3) -- how many of the statements
may run at once on PostgreSQL, each holding a pooled connection, so ``DB_POOL_SIZE`` +
``DB_MAX_OVERFLOW`` must leave room for it times the analyses a process runs at once; 1 runs them
one after another in one transaction. SQLite always does the latter: an in-memory database exists
only on its own connection, and an embedded file gains nothing from it. PostgreSQL's READ
COMMITTED gives each statement its own snapshot anyway, so separate transactions read what one
would. Each statement takes a connection only for itself, so
a pool smaller than the statements only makes them wait their turn. When the block ends, every
started statement has finished and given its connection back; those not yet started are cancelled.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from typing import Any

from sqlalchemy.engine import Connection

from shared import config
from shared.agents.data.sql import Scope
from shared.db import backend, transaction

Query = Callable[[Connection, Scope], list[dict[str, Any]]]


def concurrency() -> int:
    return max(1, config.env_int("AGENTS_SQL_CONCURRENCY", 3))


def _in_own_transaction(query: Query, scope: Scope) -> list[dict[str, Any]]:
    with transaction() as conn:
        return query(conn, scope)


@contextmanager
def fetch_concurrently(scope: Scope, queries: Sequence[Query]) -> Iterator[list[Callable[[], list]]]:
    width = min(len(queries), concurrency())
    if width <= 1 or backend() != "postgresql":
        with transaction() as conn:
            yield [partial(query, conn, scope) for query in queries]
        return
    # No thread ever holds a connection while it waits for another, so a busy pool only queues the
    # statements. Taking one connection first makes an unreachable database fail here, before any
    # tool has started. The first query runs on the calling thread when asked for; the others start now.
    with transaction():
        pass
    executor = ThreadPoolExecutor(max_workers=width - 1, thread_name_prefix="agents-sql")
    futures = [executor.submit(_in_own_transaction, query, scope) for query in queries[1:]]
    try:
        yield [partial(_in_own_transaction, queries[0], scope), *(future.result for future in futures)]
    finally:
        for future in futures:
            future.cancel()
        executor.shutdown(wait=True)
