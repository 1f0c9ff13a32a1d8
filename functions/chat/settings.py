"""Chat tuning, read from the environment when the app is created.

Options (environment variables):

- ``CHAT_MAX_FRAME_BYTES`` (65536): largest client frame; bigger ones close the socket with 1009.
- ``CHAT_MAX_QUEUED_PER_THREAD`` (3): runs waiting behind the running one on a thread; more is ``queue_full``.
- ``CHAT_MAX_ACTIVE_RUNS`` (3): pipelines running at once in one process; more wait for a slot.
  Keep it below the database pool (``DB_POOL_SIZE`` + ``DB_MAX_OVERFLOW``): each running pipeline
  may hold a connection, and the chat's writer and its reads need one more.
- ``CHAT_PING_INTERVAL_S`` (0, off): protocol pings from the server to idle sockets. simple-websocket
  then polls a selector before every read, which costs about 15% more CPU per message; clients
  keep connections alive with the ``ping`` message instead, and every socket closes at its
  token's expiry anyway, so a dead peer is never held for long.
- ``CHAT_WS_COMPRESSION`` (0): accept permessage-deflate when a client offers it. Off by default:
  measured on 1,000 sockets it costs about 90 KiB of memory per socket and 30% more CPU per
  message, for frames that are mostly a few hundred bytes.
- ``CHAT_TICKET_TTL_S`` (30): lifetime of a one-time ``?ticket=``.
- ``CHAT_STOP_GRACE_S`` (0.6): after ``stop_agent``, how long the pipeline gets to reach a checkpoint
  before the run is ended ``cancelled`` without it.
- ``CHAT_OUTBOX_MAX`` (10000): chat writes queued for the database (all of them while it is down).
- ``CHAT_OUTBOX_FLUSH_S`` (1): how often the writer retries the database during an outage.
- ``CHAT_SHUTDOWN_GRACE_S`` (5): on SIGTERM, how long running runs get to end ``interrupted``
  before sockets are closed with 1001 (Cloud Run allows about 10 s in all).
- ``CHAT_RECENT_RUNS`` (500): finished runs kept in memory so ``resume`` works while the database is down.
"""
from __future__ import annotations

from dataclasses import dataclass

from shared import config

PROTOCOL_VERSION = "1"


@dataclass(frozen=True)
class ChatSettings:
    max_frame_bytes: int = 65536
    max_queued_per_thread: int = 3
    max_active_runs: int = 3
    ping_interval_s: float = 0.0
    ws_compression: bool = False
    ticket_ttl_s: int = 30
    stop_grace_s: float = 0.6
    outbox_max: int = 10000
    outbox_flush_s: float = 1.0
    shutdown_grace_s: float = 5.0
    recent_runs: int = 500

    @classmethod
    def from_env(cls) -> ChatSettings:
        return cls(
            max_frame_bytes=config.env_int("CHAT_MAX_FRAME_BYTES", cls.max_frame_bytes),
            max_queued_per_thread=config.env_int("CHAT_MAX_QUEUED_PER_THREAD", cls.max_queued_per_thread),
            max_active_runs=config.env_int("CHAT_MAX_ACTIVE_RUNS", cls.max_active_runs),
            ping_interval_s=config.env_float("CHAT_PING_INTERVAL_S", cls.ping_interval_s),
            ws_compression=config.env_int("CHAT_WS_COMPRESSION", 0) == 1,
            ticket_ttl_s=config.env_int("CHAT_TICKET_TTL_S", cls.ticket_ttl_s),
            stop_grace_s=config.env_float("CHAT_STOP_GRACE_S", cls.stop_grace_s),
            outbox_max=config.env_int("CHAT_OUTBOX_MAX", cls.outbox_max),
            outbox_flush_s=config.env_float("CHAT_OUTBOX_FLUSH_S", cls.outbox_flush_s),
            shutdown_grace_s=config.env_float("CHAT_SHUTDOWN_GRACE_S", cls.shutdown_grace_s),
            recent_runs=config.env_int("CHAT_RECENT_RUNS", cls.recent_runs),
        )
