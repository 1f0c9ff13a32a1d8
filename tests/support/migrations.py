"""The schema revision this build needs, and how the DB layer reports a database that is behind it.

``alembic_head()`` is the head revision as Alembic itself computes it (the DB layer reads the files on
its own); ``not_migrated(found)`` is the reason reported for a schema at ``found``.
"""
from __future__ import annotations


def alembic_head() -> str:
    from alembic.script import ScriptDirectory

    from shared.db.migrate import MIGRATIONS
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def not_migrated(found: str = "no revision") -> str:
    return (f"database schema is not migrated (found {found}, this build needs {alembic_head()}): "
            "run python -m shared.db.migrate")
