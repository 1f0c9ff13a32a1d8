"""The DB layer's basic contract on both backends."""
from sqlalchemy import text

from shared.db import db_status, transaction
from shared.db.revisions import known


def test_status_connected_on_migrated_database(database):
    status = db_status()
    assert status["status"] == "connected"
    assert status["backend"] == database.name
    assert status["error"] is None
    assert isinstance(status["latency_ms"], float)


def test_schema_is_at_head(database):
    with transaction() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == known()[1]
