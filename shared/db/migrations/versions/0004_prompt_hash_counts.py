"""How many records each user has per prompt hash, kept by the database itself.

The repeated-prompt analysis needs only the prompts that occur more than once; without this
table it had to group every record of the range by its (mostly unique) hash to find them.
Triggers on ``usage_records`` keep the counts exact whatever writes the records -- the import
(COPY or INSERT), a bulk load, a DELETE, a user removed with its records -- so the count is
derived from the rows, never trusted from a caller. PostgreSQL: one statement-level trigger per
event over its transition table (one grouped upsert per import batch); SQLite: row triggers.
Existing records are counted when the migration runs.

Revision ID: 0004_prompt_hash_counts
Revises: 0003_chat
"""
import sqlalchemy as sa
from alembic import op

revision = "0004_prompt_hash_counts"
down_revision = "0003_chat"
branch_labels = None
depends_on = None

TABLE = "usage_prompt_hashes"

_PG_FUNCTIONS = {
    "usage_prompt_hashes_added": f"""
        INSERT INTO {TABLE} (user_id, prompt_hash, records)
        SELECT user_id, prompt_hash, COUNT(*) FROM added_rows WHERE prompt_hash IS NOT NULL
        GROUP BY user_id, prompt_hash ORDER BY user_id, prompt_hash
        ON CONFLICT (user_id, prompt_hash) DO UPDATE SET records = {TABLE}.records + EXCLUDED.records;""",
    "usage_prompt_hashes_removed": f"""
        UPDATE {TABLE} AS h SET records = h.records - gone.n
        FROM (SELECT user_id, prompt_hash, COUNT(*) AS n FROM removed_rows WHERE prompt_hash IS NOT NULL
              GROUP BY user_id, prompt_hash) AS gone
        WHERE h.user_id = gone.user_id AND h.prompt_hash = gone.prompt_hash;
        DELETE FROM {TABLE} AS h USING (SELECT DISTINCT user_id, prompt_hash FROM removed_rows) AS gone
        WHERE h.user_id = gone.user_id AND h.prompt_hash = gone.prompt_hash AND h.records <= 0;""",
}
# (trigger, event, transition tables, functions run in order)
_PG_TRIGGERS = (
    ("usage_prompt_hashes_insert", "INSERT", "NEW TABLE AS added_rows", ("usage_prompt_hashes_added",)),
    ("usage_prompt_hashes_delete", "DELETE", "OLD TABLE AS removed_rows", ("usage_prompt_hashes_removed",)),
)

_SQLITE_ADD = (f"INSERT INTO {TABLE} (user_id, prompt_hash, records) SELECT NEW.user_id, NEW.prompt_hash, 1 "
               f"WHERE NEW.prompt_hash IS NOT NULL "
               f"ON CONFLICT (user_id, prompt_hash) DO UPDATE SET records = records + 1;")
_SQLITE_REMOVE = (f"UPDATE {TABLE} SET records = records - 1 "
                  f"WHERE user_id = OLD.user_id AND prompt_hash = OLD.prompt_hash; "
                  f"DELETE FROM {TABLE} WHERE user_id = OLD.user_id AND prompt_hash = OLD.prompt_hash "
                  f"AND records <= 0;")
_SQLITE_TRIGGERS = {
    "usage_prompt_hashes_insert": f"AFTER INSERT ON usage_records BEGIN {_SQLITE_ADD} END",
    "usage_prompt_hashes_delete": f"AFTER DELETE ON usage_records BEGIN {_SQLITE_REMOVE} END",
    "usage_prompt_hashes_update": (f"AFTER UPDATE OF user_id, prompt_hash ON usage_records "
                                   f"BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END"),
}


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("prompt_hash", sa.String(128), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("user_id", "prompt_hash", name="pk_usage_prompt_hashes"),
    )
    # The analysis reads only the repeated hashes: a small partial index finds them.
    op.create_index("ix_usage_prompt_hashes_repeated", TABLE, ["user_id", "prompt_hash"],
                    postgresql_where=sa.text("records > 1"), sqlite_where=sa.text("records > 1"))
    op.execute(f"INSERT INTO {TABLE} (user_id, prompt_hash, records) "
               f"SELECT user_id, prompt_hash, COUNT(*) FROM usage_records WHERE prompt_hash IS NOT NULL "
               f"GROUP BY user_id, prompt_hash")
    if op.get_bind().dialect.name == "postgresql":
        for name, body in _PG_FUNCTIONS.items():
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body} RETURN NULL; END $$")
        for trigger, event, transition, (function,) in _PG_TRIGGERS:
            op.execute(f"CREATE TRIGGER {trigger} AFTER {event} ON usage_records "
                       f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
        # UPDATE sees both transition tables; one function per trigger, so it repeats both bodies.
        op.execute(f"CREATE FUNCTION usage_prompt_hashes_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {_PG_FUNCTIONS['usage_prompt_hashes_removed']} "
                   f"{_PG_FUNCTIONS['usage_prompt_hashes_added']} RETURN NULL; END $$")
        op.execute("CREATE TRIGGER usage_prompt_hashes_update AFTER UPDATE ON usage_records "
                   "REFERENCING OLD TABLE AS removed_rows NEW TABLE AS added_rows "
                   "FOR EACH STATEMENT EXECUTE FUNCTION usage_prompt_hashes_changed()")
    else:
        for trigger, definition in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {trigger} {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for trigger in ("usage_prompt_hashes_insert", "usage_prompt_hashes_delete", "usage_prompt_hashes_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON usage_records")
        for function in (*_PG_FUNCTIONS, "usage_prompt_hashes_changed"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for trigger in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.drop_table(TABLE)
