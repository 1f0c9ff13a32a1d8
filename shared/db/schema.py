"""Every table, as SQLAlchemy Core. Alembic migrations in ``migrations/versions`` create them.

All datetimes are stored as naive UTC (``timestamp without time zone``) so that
SQLite and PostgreSQL compare and group them the same way.
"""
from __future__ import annotations

from sqlalchemy import (
    BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer,
    MetaData, String, Table, UniqueConstraint, false,
)

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
    Column("cost_usd", Float, nullable=True),
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
    Index("ix_usage_user_prompt_hash", "user_id", "prompt_hash"),
)
