"""Costs as exact decimals: whole nano-dollars, summed the same whatever order the rows come in.

Costs were doubles, and a sum of doubles depends on the order it adds them in: two users with the
same records could see totals that differ in the last digits. PostgreSQL now keeps every cost
column (``usage_records``, and the rollups ``usage_hourly`` and ``usage_repeats``) as
``numeric(20, 9)``, each stored cost rounded to 9 decimals. SQLite has no decimal type: its columns
stay doubles and the sums count each value in whole nano-dollars as integers
(``shared.db.money``), which needs no change to what is stored. The rollups were summed as
doubles, so every (user, day) with records is marked dirty and the next refresh rebuilds them
from the records.

Revision ID: 0007_exact_money
Revises: 0006_rollup_refresh
"""
from alembic import op

revision = "0007_exact_money"
down_revision = "0006_rollup_refresh"
branch_labels = None
depends_on = None

MONEY_COLUMNS = (("usage_records", "cost_usd"), ("usage_hourly", "cost_usd"), ("usage_repeats", "cost_usd"))
_PG_DAYS = ("date_trunc('day', \"timestamp\")", "date_trunc('day', \"timestamp\") + interval '1 day'")
# SQLite: from the stored text's date part, as in 0006.
_SQLITE_DAYS = ("substr(\"timestamp\", 1, 10) || ' 00:00:00.000000'",
                "strftime('%Y-%m-%d 00:00:00.000000', substr(\"timestamp\", 1, 10), '+1 day')")


def _execute(sql: str) -> None:
    # Straight to the driver: strftime patterns like ``%Y`` would be misread as bound parameters.
    op.get_bind().exec_driver_sql(sql)


def _mark_every_day_dirty(postgres: bool) -> None:
    day, day_end = _PG_DAYS if postgres else _SQLITE_DAYS
    # ``WHERE true`` lets SQLite tell the upsert clause from a join constraint.
    _execute(f"INSERT INTO usage_dirty_days (user_id, day, day_end, version) "
             f"SELECT DISTINCT user_id, {day}, {day_end}, 1 FROM usage_records WHERE true "
             f"ON CONFLICT (user_id, day) DO UPDATE SET version = usage_dirty_days.version + 1")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for table, column in MONEY_COLUMNS:
            _execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE numeric(20, 9) "
                     f"USING round({column}::numeric, 9)")
    _mark_every_day_dirty(postgres)


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        for table, column in MONEY_COLUMNS:
            _execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE double precision")
    _mark_every_day_dirty(postgres)
