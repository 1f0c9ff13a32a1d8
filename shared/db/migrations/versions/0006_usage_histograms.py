"""Daily histograms of prompt tokens, completion tokens and latency per user, feature and model.

The data agent's percentiles otherwise group every single-request record of a range by its
exact value; with these rows it reads one row per day, feature, model and value bin for the
whole days of a range, and the records themselves only for the partial days at its edges.
Values are kept in bins of 64 per power of two: exact below 128, and above that rounded down
to a multiple of 2^(k-6) for a value in [2^k, 2^(k+1)), i.e. less than 1/64 (1.6%) below the
value; ``total`` keeps the exact sum of the values in a bin. Only single-request records count
(an aggregated export row carries totals, not one request's size), and latency only where known.

Triggers on ``usage_records`` keep the counts exact whatever writes the records: an insert adds
(PostgreSQL: one grouped upsert per statement over its transition table; SQLite: per row), a
delete subtracts, an update does both. Existing records are counted when the migration runs.

Revision ID: 0006_usage_histograms
Revises: 0005_usage_hourly
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_usage_histograms"
down_revision = "0005_usage_hourly"
branch_labels = None
depends_on = None

TABLE = "usage_histograms"
KEY = ("user_id", "day", "metric", "feature", "model", "bin")
METRICS = (("prompt", "prompt_tokens"), ("completion", "completion_tokens"), ("latency", "latency_ms"))


def value_bin(value: str) -> str:
    """The bin of an integer ``value`` in integer arithmetic, identical on both backends."""
    steps = " ".join(f"WHEN {value} < {2 ** (k + 1)} THEN {value} / {2 ** (k - 6)} * {2 ** (k - 6)}"
                     for k in range(7, 31))
    return f"CASE WHEN {value} < 128 THEN {value} {steps} ELSE {value} END"


def _day(postgres: bool, column: str) -> str:
    return f"date_trunc('day', {column})" if postgres else f"strftime('%Y-%m-%d 00:00:00.000000', {column})"


def _values(source: str) -> str:
    """(user_id, timestamp, feature, model, metric, v) for each metric of the records ``source`` selects."""
    picks = " UNION ALL ".join(
        f"SELECT user_id, \"timestamp\", feature, model, '{metric}' AS metric, {column} AS v "
        f"FROM {source} AS records WHERE request_count = 1 AND {column} IS NOT NULL"
        for metric, column in METRICS)
    return f"({picks})"


def _grouped(postgres: bool, source: str) -> str:
    day = _day(postgres, '"timestamp"')
    return (f"SELECT user_id, {day} AS day, metric, feature, model, {value_bin('v')} AS bin, "
            f"COUNT(*) AS records, SUM(v) AS total FROM {_values(source)} AS vals "
            f"GROUP BY 1, 2, 3, 4, 5, 6")


def _pg_add(source: str) -> str:
    return (f"INSERT INTO {TABLE} ({', '.join(KEY)}, records, total) {_grouped(True, source)} "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET records = {TABLE}.records + excluded.records, "
            f"total = {TABLE}.total + excluded.total;")


def _pg_subtract(source: str) -> str:
    match = " AND ".join(f"h.{k} = gone.{k}" for k in KEY)
    return (f"UPDATE {TABLE} AS h SET records = h.records - gone.records, total = h.total - gone.total "
            f"FROM ({_grouped(True, source)}) AS gone WHERE {match}; "
            f"DELETE FROM {TABLE} AS h USING (SELECT DISTINCT user_id, feature, model FROM {source}) AS gone "
            f"WHERE h.user_id = gone.user_id AND h.feature = gone.feature AND h.model = gone.model "
            f"AND h.records <= 0;")


_NEW_TIME, _OLD_TIME = 'NEW."timestamp"', 'OLD."timestamp"'


def _sqlite_row(row: str) -> str:
    """One record's values as (metric, v) rows, for a row trigger (``row`` is NEW or OLD)."""
    picks = " UNION ALL ".join(f"SELECT '{metric}' AS metric, {row}.{column} AS v" for metric, column in METRICS)
    return f"(SELECT * FROM ({picks}) WHERE {row}.request_count = 1 AND v IS NOT NULL)"


def _sqlite_add() -> str:
    return (f"INSERT INTO {TABLE} ({', '.join(KEY)}, records, total) "
            f"SELECT NEW.user_id, {_day(False, _NEW_TIME)}, metric, NEW.feature, NEW.model, "
            f"{value_bin('v')}, 1, v FROM {_sqlite_row('NEW')} AS vals WHERE true "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET records = {TABLE}.records + 1, "
            f"total = {TABLE}.total + excluded.total;")


def _sqlite_subtract() -> str:
    same = (f"user_id = OLD.user_id AND day = {_day(False, _OLD_TIME)} "
            f"AND feature = OLD.feature AND model = OLD.model")
    return (f"UPDATE {TABLE} SET records = records - 1, total = total - vals.v FROM {_sqlite_row('OLD')} AS vals "
            f"WHERE {same} AND {TABLE}.metric = vals.metric AND bin = {value_bin('vals.v')}; "
            f"DELETE FROM {TABLE} WHERE {same} AND records <= 0;")


def _execute(sql: str) -> None:
    # Straight to the driver: strftime patterns like ``%Y`` would be misread as bound parameters.
    op.get_bind().exec_driver_sql(sql)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        TABLE,
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("day", sa.DateTime, nullable=False),  # the UTC day's start
        sa.Column("metric", sa.String(16), nullable=False),  # prompt | completion | latency
        sa.Column("feature", sa.String(200), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("bin", sa.Integer, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name="pk_usage_histograms"),
    )
    _execute(f"INSERT INTO {TABLE} ({', '.join(KEY)}, records, total) {_grouped(postgres, 'usage_records')}")
    if postgres:
        functions = {
            "usage_histograms_added": _pg_add("added_rows"),
            "usage_histograms_removed": _pg_subtract("removed_rows"),
            "usage_histograms_changed": _pg_subtract("removed_rows") + _pg_add("added_rows"),
        }
        for name, body in functions.items():
            _execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                     f"BEGIN {body} RETURN NULL; END $$")
        for trigger, event, transition, function in (
                ("usage_histograms_insert", "INSERT", "NEW TABLE AS added_rows", "usage_histograms_added"),
                ("usage_histograms_delete", "DELETE", "OLD TABLE AS removed_rows", "usage_histograms_removed"),
                ("usage_histograms_update", "UPDATE", "OLD TABLE AS removed_rows NEW TABLE AS added_rows",
                 "usage_histograms_changed")):
            _execute(f"CREATE TRIGGER {trigger} AFTER {event} ON usage_records REFERENCING {transition} "
                     f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    else:
        _execute(f"CREATE TRIGGER usage_histograms_insert AFTER INSERT ON usage_records BEGIN {_sqlite_add()} END")
        _execute(f"CREATE TRIGGER usage_histograms_delete AFTER DELETE ON usage_records "
                 f"BEGIN {_sqlite_subtract()} END")
        _execute(f"CREATE TRIGGER usage_histograms_update AFTER UPDATE ON usage_records "
                 f"BEGIN {_sqlite_subtract()} {_sqlite_add()} END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger in ("usage_histograms_insert", "usage_histograms_delete", "usage_histograms_update"):
        _execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON usage_records" if postgres else ""))
    if postgres:
        for function in ("usage_histograms_added", "usage_histograms_removed", "usage_histograms_changed"):
            _execute(f"DROP FUNCTION IF EXISTS {function}()")
    op.drop_table(TABLE)
