"""Alembic environment: runs on the connection handed over by ``shared.db.migrate``."""
from __future__ import annotations

from alembic import context

from shared.db.schema import metadata
from shared.db.target import current

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m shared.db.migrate`")

schema = current().schema or None  # set only for PostgreSQL

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table_schema=schema,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
