"""Alembic environment: runs on the connection handed over by ``shared.db.migrate``."""
from __future__ import annotations

import os

from alembic import context

from shared.db.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m shared.db.migrate`")

schema = os.environ.get("TOKENWISE_DB_SCHEMA", "").strip() or None
if connection.dialect.name != "postgresql":
    schema = None

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table_schema=schema,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
