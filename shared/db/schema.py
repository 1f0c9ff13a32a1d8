"""Every table, as SQLAlchemy Core. Alembic migrations in ``migrations/versions`` create them.

All datetimes are stored as naive UTC (``timestamp without time zone``) so that
SQLite and PostgreSQL compare and group them the same way. Costs are ``Money``
(``shared.db.money``): whole nano-dollars, summed exactly on both backends.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    false,
)

from shared.db.money import Money

metadata = MetaData()

users = Table(
    "users", metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("name", String(200), nullable=True),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),
    Column("locked_until", DateTime, nullable=True),
)

# One row per login: the refresh-token family. ``current_jti`` is the only refresh
# token of the family that may still be used; presenting an older one revokes it.
auth_sessions = Table(
    "auth_sessions", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("current_jti", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("revoked_at", DateTime, nullable=True),
    Column("revoked_reason", String(40), nullable=True),
)

usage_records = Table(
    "usage_records", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("request_id", String(200), nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("provider", String(64), nullable=False),
    Column("model", String(200), nullable=False),
    Column("feature", String(200), nullable=False),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    Column("cached_tokens", Integer, nullable=False, server_default="0"),
    Column("cache_write_tokens", Integer, nullable=False, server_default="0"),
    Column("latency_ms", Integer, nullable=True),
    Column("status", String(32), nullable=False, server_default="success"),
    Column("cost_usd", Money, nullable=True),
    # reported: cost_usd came with the record; computed: priced from the catalog;
    # unpriced: the model is not in the catalog and no cost was given.
    Column("cost_source", String(16), nullable=False, server_default="reported"),
    Column("is_batch", Boolean, nullable=False, server_default=false()),
    Column("max_tokens", Integer, nullable=True),
    Column("prompt_hash", String(128), nullable=True),
    Column("end_user", String(200), nullable=True),
    # How many API requests the record stands for: 1 for a request log, more for a
    # row of an aggregated export (an OpenAI usage bucket). Count requests as SUM(request_count).
    Column("request_count", Integer, nullable=False, server_default="1"),
    Column("source_format", String(16), nullable=False, server_default="tokenwise"),
    Column("imported_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "request_id", name="uq_usage_user_request"),
    Index("ix_usage_user_time", "user_id", "timestamp"),
    Index("ix_usage_user_model_time", "user_id", "model", "timestamp"),
    Index("ix_usage_user_feature_time", "user_id", "feature", "timestamp"),
    Index("ix_usage_user_prompt_hash", "user_id", "prompt_hash", "timestamp"),
)


# --- Chat: threads, their messages, agent runs with their events, one-time WebSocket tickets ---
from sqlalchemy import Text  # noqa: E402  (only the chat tables use it)

threads = Table(
    "threads", metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_threads_user_updated", "user_id", "updated_at"),
)

# ``user_id`` repeats the thread's owner so that every read can be scoped by user without a join.
messages = Table(
    "messages", metadata,
    Column("id", String(36), primary_key=True),
    Column("thread_id", String(36), ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("role", String(16), nullable=False),  # "user" | "assistant"
    Column("content", Text, nullable=False),
    Column("structured", Text, nullable=True),  # JSON: the run's structured result
    Column("run_id", String(36), nullable=True),
    Column("client_message_id", String(100), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_messages_thread_created", "thread_id", "created_at"),
)

runs = Table(
    "runs", metadata,
    Column("id", String(36), primary_key=True),
    Column("thread_id", String(36), ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("message_id", String(36), nullable=True),
    # queued | running | completed | failed | cancelled | interrupted | rejected
    Column("status", String(16), nullable=False),
    Column("error", String(300), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("started_at", DateTime, nullable=True),
    Column("finished_at", DateTime, nullable=True),
    Index("ix_runs_thread_created", "thread_id", "created_at"),
    Index("ix_runs_user_status", "user_id", "status"),
)

# ``body`` is the event envelope exactly as it was streamed, so a replay is byte-for-byte the same.
run_events = Table(
    "run_events", metadata,
    Column("run_id", String(36), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("type", String(32), nullable=False),
    Column("agent", String(32), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("body", Text, nullable=False),
)

# Only a SHA-256 of each ticket is stored; redeeming sets ``used_at`` once.
ws_tickets = Table(
    "ws_tickets", metadata,
    Column("ticket_hash", String(64), primary_key=True),
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False),
    Column("session_id", String(64), nullable=False),
    Column("token_expires_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("used_at", DateTime, nullable=True),
    Index("ix_ws_tickets_expires", "expires_at"),
)


from sqlalchemy import PrimaryKeyConstraint  # noqa: E402  (only the rollup tables use it)

# --- Rollups of usage_records, rebuilt for the days triggers mark dirty (migration 0006,
# ``shared.usage.rollups``); the data agent reads them. Hourly per (user, hour, model, provider,
# feature, batch flag): ---
_HOURLY_SUMS = ("requests", "records", "errors", "unpriced", "prompt_tokens", "completion_tokens", "cached_tokens",
                "cache_write_tokens", "hashed", "cache_eligible", "cache_eligible_write_tokens", "max_tokens_records",
                "truncated", "latency_ms_sum", "latency_records")
usage_hourly = Table(
    "usage_hourly", metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("bucket", DateTime, nullable=False),  # the hour's start
    Column("model", String(200), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("feature", String(200), nullable=False),
    Column("is_batch", Boolean, nullable=False),
    Column("cost_usd", Money, nullable=False),
    *(Column(name, BigInteger, nullable=False) for name in _HOURLY_SUMS),
    *(Column(name, Integer, nullable=True) for name in ("max_tokens_min", "max_tokens_max", "max_prompt",
                                                        "max_completion")),
    PrimaryKeyConstraint("user_id", "bucket", "model", "provider", "feature", "is_batch", name="pk_usage_hourly"),
)


# Daily histograms of prompt tokens, completion tokens and latency per (user, day, feature, model) in
# value bins (exact below 128, then 64 per power of two):
usage_histograms = Table(
    "usage_histograms", metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("day", DateTime, nullable=False),  # the UTC day's start
    Column("metric", String(16), nullable=False),  # prompt | completion | latency
    Column("feature", String(200), nullable=False),
    Column("model", String(200), nullable=False),
    Column("bin", Integer, nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    PrimaryKeyConstraint("user_id", "day", "metric", "feature", "model", "bin", name="pk_usage_histograms"),
)

# Each record whose prompt the user sent before to the same model for the same feature, with when:
usage_repeats = Table(
    "usage_repeats", metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("request_id", String(200), nullable=False),
    Column("timestamp", DateTime, nullable=False),
    Column("prev_at", DateTime, nullable=False),  # the chain's previous record
    Column("prev_success_at", DateTime, nullable=True),  # the chain's previous successful record
    Column("prompt_hash", String(128), nullable=False),
    Column("feature", String(200), nullable=False),
    Column("model", String(200), nullable=False),
    Column("provider", String(64), nullable=False),
    Column("is_batch", Boolean, nullable=False),
    Column("status", String(32), nullable=False),
    Column("request_count", Integer, nullable=False),
    Column("cost_usd", Money, nullable=True),
    Column("prompt_tokens", Integer, nullable=False),
    Column("cached_tokens", Integer, nullable=False),
    Column("cache_write_tokens", Integer, nullable=False),
    PrimaryKeyConstraint("user_id", "request_id", name="pk_usage_repeats"),
    Index("ix_usage_repeats_user_time", "user_id", "timestamp"),
)

# The (user, UTC day) pairs whose records changed since their rollups were last rebuilt:
usage_dirty_days = Table(
    "usage_dirty_days", metadata,
    Column("user_id", String(36), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("day", DateTime, nullable=False),
    Column("day_end", DateTime, nullable=False),
    Column("version", BigInteger, nullable=False),  # bumped by every change, so a refresh clears only what it saw
    PrimaryKeyConstraint("user_id", "day", name="pk_usage_dirty_days"),
)
