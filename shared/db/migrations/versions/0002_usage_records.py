"""LLM usage records, one per request, scoped to a user.

Revision ID: 0002_usage_records
Revises: 0001_auth
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_usage_records"
down_revision = "0001_auth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usage_records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=False),
        sa.Column("timestamp", sa.DateTime, nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("cached_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("cache_write_tokens", sa.Integer, nullable=False, server_default="0"),
        sa.Column("latency_ms", sa.Integer, nullable=True),
        sa.Column("status", sa.String(32), nullable=False, server_default="success"),
        sa.Column("cost_usd", sa.Float, nullable=True),
        sa.Column("cost_source", sa.String(16), nullable=False, server_default="reported"),
        sa.Column("is_batch", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("max_tokens", sa.Integer, nullable=True),
        sa.Column("prompt_hash", sa.String(128), nullable=True),
        sa.Column("end_user", sa.String(200), nullable=True),
        sa.Column("request_count", sa.Integer, nullable=False, server_default="1"),
        sa.Column("source_format", sa.String(16), nullable=False, server_default="tokenwise"),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "request_id", name="uq_usage_user_request"),
    )
    op.create_index("ix_usage_user_time", "usage_records", ["user_id", "timestamp"])
    op.create_index("ix_usage_user_model_time", "usage_records", ["user_id", "model", "timestamp"])
    op.create_index("ix_usage_user_feature_time", "usage_records", ["user_id", "feature", "timestamp"])
    op.create_index("ix_usage_user_prompt_hash", "usage_records", ["user_id", "prompt_hash", "timestamp"])


def downgrade() -> None:
    op.drop_table("usage_records")
