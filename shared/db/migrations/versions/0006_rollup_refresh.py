"""Daily histograms and repeat chains, and rollups refreshed once per import, not per written batch.

Until now triggers updated the hourly rollups, the daily histograms and the per-hash counts for
every statement that wrote records: an import of demo-like traffic, whose batches each touch
most days and bins, spent more time in those upserts than in writing the records. The triggers
now only mark the (user, UTC day) pairs whose records changed, in ``usage_dirty_days`` (a
``version`` that every change bumps lets a refresh that ran concurrently leave a day dirty), and
``shared.usage.rollups.refresh`` recomputes a user's dirty days in one pass -- at the end of each
import, and before an analysis finds any left (writes by other means, an import cut short).

``usage_histograms`` counts prompt tokens, completion tokens and latency per user, UTC day,
feature and model in value bins (``shared.usage.rollups.value_bin``: exact below 128, then 64
bins per power of two), with the exact sum of each bin's values; only single-request records
count (an aggregated export row carries totals, not one request's size), latency only where known.

``usage_repeats`` replaces the per-hash counts: one row per record whose prompt was sent before
by the same user to the same model for the same feature (a "chain"), with the time of the
previous record of its chain and of the previous successful one, and the figures the cache
replays need. A refresh rebuilds the user's chains. Every existing user's days start dirty, so
the first refresh fills the new tables.

Revision ID: 0006_rollup_refresh
Revises: 0005_usage_hourly
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_rollup_refresh"
down_revision = "0005_usage_hourly"
branch_labels = None
depends_on = None

_OLD_TRIGGERS = {
    "usage_prompt_hashes_insert": "usage_prompt_hashes_added", "usage_prompt_hashes_delete": "usage_prompt_hashes_removed",
    "usage_prompt_hashes_update": "usage_prompt_hashes_changed", "usage_hourly_insert": "usage_hourly_added",
    "usage_hourly_delete": "usage_hourly_removed", "usage_hourly_update": "usage_hourly_changed",
}
_PG_DAY = "date_trunc('day', {t})"
_PG_DAY_END = "date_trunc('day', {t}) + interval '1 day'"
# SQLite: from the stored text's date part, since date arithmetic rounds 23:59:59.999999 up a day.
_SQLITE_DAY = "substr({t}, 1, 10) || ' 00:00:00.000000'"
_SQLITE_DAY_END = "strftime('%Y-%m-%d 00:00:00.000000', substr({t}, 1, 10), '+1 day')"
_UPSERT = " ON CONFLICT (user_id, day) DO UPDATE SET version = usage_dirty_days.version + 1;"
# A record deleted along with its user leaves nothing to refresh (and nothing to reference).
_USER_LIVES = "EXISTS (SELECT 1 FROM users WHERE users.id = {row}.user_id)"


def _pg_mark(source: str) -> str:
    t = f'{source}."timestamp"'
    return (f"INSERT INTO usage_dirty_days (user_id, day, day_end, version) "
            f"SELECT DISTINCT {source}.user_id, {_PG_DAY.format(t=t)}, {_PG_DAY_END.format(t=t)}, 1 "
            f"FROM {source} WHERE {_USER_LIVES.format(row=source)}{_UPSERT}")


def _sqlite_mark(row: str) -> str:
    t = f'{row}."timestamp"'
    return (f"INSERT INTO usage_dirty_days (user_id, day, day_end, version) "
            f"SELECT {row}.user_id, {_SQLITE_DAY.format(t=t)}, {_SQLITE_DAY_END.format(t=t)}, 1 "
            f"WHERE {_USER_LIVES.format(row=row)}{_UPSERT}")


def _execute(sql: str) -> None:
    # Straight to the driver: strftime patterns like ``%Y`` would be misread as bound parameters.
    op.get_bind().exec_driver_sql(sql)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger, function in _OLD_TRIGGERS.items():
        _execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON usage_records" if postgres else ""))
        if postgres:
            _execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table("usage_prompt_hashes")
    op.create_table(
        "usage_histograms",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.DateTime, nullable=False),  # the UTC day's start
        sa.Column("metric", sa.String(16), nullable=False),  # prompt | completion | latency
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("bin", sa.Integer, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", "metric", "feature", "model", "bin", name="pk_usage_histograms"),
    )
    op.create_table(
        "usage_dirty_days",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.DateTime, nullable=False),
        sa.Column("day_end", sa.DateTime, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "day", name="pk_usage_dirty_days"),
    )
    op.create_table(
        "usage_repeats",
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("request_id", sa.String(200), nullable=False),
        sa.Column("timestamp", sa.DateTime, nullable=False),
        sa.Column("prev_at", sa.DateTime, nullable=False),
        sa.Column("prev_success_at", sa.DateTime, nullable=True),
        sa.Column("prompt_hash", sa.String(128), nullable=False),
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("is_batch", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("request_count", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=True),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("cached_tokens", sa.Integer, nullable=False),
        sa.Column("cache_write_tokens", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "request_id", name="pk_usage_repeats"),
    )
    op.create_index("ix_usage_repeats_user_time", "usage_repeats", ["user_id", "timestamp"])
    day, day_end = (_PG_DAY, _PG_DAY_END) if postgres else (_SQLITE_DAY, _SQLITE_DAY_END)
    _execute(f"INSERT INTO usage_dirty_days (user_id, day, day_end, version) "
             f"SELECT DISTINCT user_id, {day.format(t='timestamp')}, {day_end.format(t='timestamp')}, 1 "
             f"FROM usage_records")
    if postgres:
        _execute(f"CREATE FUNCTION usage_dirty_added() RETURNS trigger LANGUAGE plpgsql AS $$ "
                 f"BEGIN {_pg_mark('added_rows')} RETURN NULL; END $$")
        _execute(f"CREATE FUNCTION usage_dirty_removed() RETURNS trigger LANGUAGE plpgsql AS $$ "
                 f"BEGIN {_pg_mark('removed_rows')} RETURN NULL; END $$")
        _execute(f"CREATE FUNCTION usage_dirty_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
                 f"BEGIN {_pg_mark('removed_rows')} {_pg_mark('added_rows')} RETURN NULL; END $$")
        for event, transition, function in (
                ("INSERT", "NEW TABLE AS added_rows", "usage_dirty_added"),
                ("DELETE", "OLD TABLE AS removed_rows", "usage_dirty_removed"),
                ("UPDATE", "OLD TABLE AS removed_rows NEW TABLE AS added_rows", "usage_dirty_changed")):
            _execute(f"CREATE TRIGGER usage_dirty_{event.lower()} AFTER {event} ON usage_records "
                     f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    else:
        _execute(f"CREATE TRIGGER usage_dirty_insert AFTER INSERT ON usage_records BEGIN {_sqlite_mark('NEW')} END")
        _execute(f"CREATE TRIGGER usage_dirty_delete AFTER DELETE ON usage_records BEGIN {_sqlite_mark('OLD')} END")
        _execute(f"CREATE TRIGGER usage_dirty_update AFTER UPDATE ON usage_records "
                 f"BEGIN {_sqlite_mark('OLD')} {_sqlite_mark('NEW')} END")


def downgrade() -> None:
    raise NotImplementedError("0006 replaces the per-statement rollup triggers; restore from a backup to go back")
