"""Hourly rollups of each user's usage per model, provider, feature and batch flag, kept by the database.

The data agent's aggregates otherwise group every record of the range; with these rows it reads
one row per hour and cell for the whole hours of a range, and the records themselves only for
the partial hours at its edges. Triggers on ``usage_records`` keep the rollups exact whatever
writes the records: an insert adds to its hour (PostgreSQL: one grouped upsert per statement over
its transition table; SQLite: per row); a delete or update recomputes the hours it touched from
the records, since a minimum or maximum cannot be taken back. Existing records are rolled up
when the migration runs. The measures are those of ``shared.agents.data.usage_profile``'s cube.

Revision ID: 0005_usage_hourly
Revises: 0004_prompt_hash_counts
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_usage_hourly"
down_revision = "0004_prompt_hash_counts"
branch_labels = None
depends_on = None

TABLE = "usage_hourly"
KEY = ("user_id", "bucket", "model", "provider", "feature", "is_batch")
_CACHEABLE = ("CASE WHEN prompt_tokens >= 1024 AND request_count = 1 AND status = 'success' "
              "AND prompt_hash IS NOT NULL THEN 1024 + ((prompt_tokens - 1024) / 128) * 128 ELSE 0 END")
_NEW_WRITE = ("CASE WHEN cacheable > cached_tokens + cache_write_tokens "
              "THEN cacheable - cached_tokens - cache_write_tokens ELSE 0 END")
# (column, type, aggregate over records, how two partial rows merge: sum | min | max)
MEASURES = (
    ("requests", sa.BigInteger, "SUM(request_count)", "sum"),
    ("records", sa.BigInteger, "COUNT(*)", "sum"),
    ("errors", sa.BigInteger, "SUM(CASE WHEN status = 'success' THEN 0 ELSE request_count END)", "sum"),
    ("cost_usd", sa.Float, "COALESCE(SUM(cost_usd), 0)", "sum"),
    ("unpriced", sa.BigInteger, "SUM(CASE WHEN cost_usd IS NULL THEN request_count ELSE 0 END)", "sum"),
    ("prompt_tokens", sa.BigInteger, "SUM(prompt_tokens)", "sum"),
    ("completion_tokens", sa.BigInteger, "SUM(completion_tokens)", "sum"),
    ("cached_tokens", sa.BigInteger, "SUM(cached_tokens)", "sum"),
    ("cache_write_tokens", sa.BigInteger, "SUM(cache_write_tokens)", "sum"),
    ("hashed", sa.BigInteger, "COUNT(prompt_hash)", "sum"),
    ("cache_eligible", sa.BigInteger, "SUM(CASE WHEN cacheable > 0 THEN 1 ELSE 0 END)", "sum"),
    ("cache_eligible_write_tokens", sa.BigInteger, f"SUM({_NEW_WRITE})", "sum"),
    ("max_tokens_min", sa.Integer, "MIN(max_tokens)", "min"),
    ("max_tokens_max", sa.Integer, "MAX(max_tokens)", "max"),
    ("max_tokens_records", sa.BigInteger, "COUNT(max_tokens)", "sum"),
    ("truncated", sa.BigInteger, "SUM(CASE WHEN completion_tokens >= max_tokens THEN 1 ELSE 0 END)", "sum"),
    ("max_prompt", sa.Integer, "MAX(CASE WHEN request_count = 1 THEN prompt_tokens END)", "max"),
    ("max_completion", sa.Integer, "MAX(CASE WHEN request_count = 1 THEN completion_tokens END)", "max"),
    ("latency_ms_sum", sa.BigInteger, "COALESCE(SUM(latency_ms), 0)", "sum"),
    ("latency_records", sa.BigInteger, "COUNT(latency_ms)", "sum"),
)
_COLUMNS = ", ".join((*KEY, *(name for name, *_ in MEASURES)))


def _bucket(postgres: bool, column: str = '"timestamp"', later: bool = False) -> str:
    if postgres:
        return f"date_trunc('hour', {column})" + (" + interval '1 hour'" if later else "")
    return f"strftime('%Y-%m-%d %H:00:00.000000', {column}{', ' + repr('+1 hour') if later else ''})"


def _rollup(postgres: bool, source: str) -> str:
    """Rollup rows of the records ``source`` selects (a parenthesised query or a table name)."""
    aggregates = ", ".join(expr for _, _, expr, _ in MEASURES)
    return (f"SELECT user_id, {_bucket(postgres)}, model, provider, feature, is_batch, {aggregates} "
            f"FROM (SELECT *, {_CACHEABLE} AS cacheable FROM {source} AS records) AS src WHERE true "
            f"GROUP BY user_id, {_bucket(postgres)}, model, provider, feature, is_batch")


def _merge(name: str, how: str) -> str:
    old, new = f"{TABLE}.{name}", f"excluded.{name}"
    if how == "sum":
        return f"{name} = {old} + {new}"
    better = "<" if how == "min" else ">"
    return (f"{name} = CASE WHEN {old} IS NULL THEN {new} WHEN {new} IS NULL THEN {old} "
            f"WHEN {new} {better} {old} THEN {new} ELSE {old} END")


def _add(postgres: bool, source: str) -> str:
    merges = ", ".join(_merge(name, how) for name, _, _, how in MEASURES)
    return (f"INSERT INTO {TABLE} ({_COLUMNS}) {_rollup(postgres, source)} "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {merges};")


def _pg_recompute(changed: str) -> str:
    """Drop the hours the ``changed`` rows fall in and roll them up again from the records."""
    keys = (f"(SELECT DISTINCT user_id, {_bucket(True)} AS bucket, model, provider, feature, is_batch "
            f"FROM {changed} AS changed_rows)")
    match = " AND ".join(f"h.{k} = k.{k}" for k in KEY)
    touched = (f"(SELECT r.* FROM usage_records r JOIN {keys} AS k ON r.user_id = k.user_id "
               f"AND r.model = k.model AND r.provider = k.provider AND r.feature = k.feature "
               f"AND r.is_batch = k.is_batch AND r.\"timestamp\" >= k.bucket "
               f"AND r.\"timestamp\" < k.bucket + interval '1 hour')")
    return (f"DELETE FROM {TABLE} AS h USING {keys} AS k WHERE {match}; "
            f"INSERT INTO {TABLE} ({_COLUMNS}) {_rollup(True, touched)};")


def _sqlite_recompute(row: str) -> str:
    stamp = f'{row}."timestamp"'
    hour, next_hour = _bucket(False, stamp), _bucket(False, stamp, later=True)
    same = (f"user_id = {row}.user_id AND model = {row}.model AND provider = {row}.provider "
            f"AND feature = {row}.feature AND is_batch = {row}.is_batch")
    touched = (f"(SELECT * FROM usage_records WHERE {same} AND \"timestamp\" >= {hour} "
               f"AND \"timestamp\" < {next_hour})")
    return (f"DELETE FROM {TABLE} WHERE {same} AND bucket = {hour}; "
            f"INSERT INTO {TABLE} ({_COLUMNS}) {_rollup(False, touched)};")


def _execute(sql: str) -> None:
    # Straight to the driver: the SQL holds strftime patterns like ``%H:00`` that a bound-parameter
    # parser would misread.
    op.get_bind().exec_driver_sql(sql)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        TABLE,
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("bucket", sa.DateTime, nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("is_batch", sa.Boolean, nullable=False),
        *(sa.Column(name, kind, nullable=how != "sum") for name, kind, _, how in MEASURES),
        sa.PrimaryKeyConstraint(*KEY, name="pk_usage_hourly"),
    )
    _execute(f"INSERT INTO {TABLE} ({_COLUMNS}) {_rollup(postgres, 'usage_records')}")
    if postgres:
        functions = {
            "usage_hourly_added": _add(True, "added_rows"),
            "usage_hourly_removed": _pg_recompute("removed_rows"),
            "usage_hourly_changed": _pg_recompute("(SELECT * FROM removed_rows UNION ALL SELECT * FROM added_rows)"),
        }
        for name, body in functions.items():
            _execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body} RETURN NULL; END $$")
        _execute("CREATE TRIGGER usage_hourly_insert AFTER INSERT ON usage_records REFERENCING NEW TABLE AS "
                   "added_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_hourly_added()")
        _execute("CREATE TRIGGER usage_hourly_delete AFTER DELETE ON usage_records REFERENCING OLD TABLE AS "
                   "removed_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_hourly_removed()")
        _execute("CREATE TRIGGER usage_hourly_update AFTER UPDATE ON usage_records REFERENCING OLD TABLE AS "
                   "removed_rows NEW TABLE AS added_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_hourly_changed()")
    else:
        this_row = "(SELECT * FROM usage_records WHERE id = NEW.id)"
        _execute(f"CREATE TRIGGER usage_hourly_insert AFTER INSERT ON usage_records "
                   f"BEGIN {_add(False, this_row)} END")
        _execute(f"CREATE TRIGGER usage_hourly_delete AFTER DELETE ON usage_records "
                   f"BEGIN {_sqlite_recompute('OLD')} END")
        _execute(f"CREATE TRIGGER usage_hourly_update AFTER UPDATE ON usage_records "
                   f"BEGIN {_sqlite_recompute('OLD')} {_sqlite_recompute('NEW')} END")


def downgrade() -> None:
    for trigger in ("usage_hourly_insert", "usage_hourly_delete", "usage_hourly_update"):
        if op.get_bind().dialect.name == "postgresql":
            _execute(f"DROP TRIGGER IF EXISTS {trigger} ON usage_records")
        else:
            _execute(f"DROP TRIGGER IF EXISTS {trigger}")
    if op.get_bind().dialect.name == "postgresql":
        for function in ("usage_hourly_added", "usage_hourly_removed", "usage_hourly_changed"):
            _execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table(TABLE)
