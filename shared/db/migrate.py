"""Apply Alembic migrations to the configured database: ``python -m shared.db.migrate``.

Migrations live in ``shared/db/migrations/versions``; the Alembic config is built
here in code so that the same call works from a checkout, a test and a deploy.
"""
from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from shared.db.breaker import DatabaseUnavailable
from shared.db.engine import get_engine, transaction
from shared.db.target import backend, current

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(revision: str = "head") -> None:
    """Bring the schema of ``DATABASE_URL`` (and ``TOKENWISE_DB_SCHEMA``) up to ``revision``."""
    where = current()
    if where.schema and where.backend == "postgresql":
        get_engine()  # refuses a schema name that is not a plain identifier before it reaches SQL
        with transaction() as conn:
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {where.schema}"))
    cfg = alembic_config()
    with transaction() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def main(argv: list[str]) -> int:
    try:
        upgrade(argv[0] if argv else "head")
    except DatabaseUnavailable as exc:  # a reason to act on, not a stack trace
        print(f"cannot migrate: {exc.reason}", file=sys.stderr)
        return 1
    print(f"migrated {backend()} database to {argv[0] if argv else 'head'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
