"""Is the database's schema the one this build was written for?

The expected revision is read from the migration files with ``ast`` (Alembic
itself is not imported: health must stay cheap on a cold start). A database
with no ``alembic_version`` table, or at an older revision this build knows,
is "not migrated"; one at a revision this build does not know is newer code's
business and is not flagged.
"""
from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

VERSIONS = Path(__file__).with_name("migrations") / "versions"


def _assignments(path: Path) -> dict[str, object]:
    values = {}
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue
    return values


@lru_cache(maxsize=1)
def known() -> tuple[frozenset[str], str]:
    """Every revision in the migration files, and the single head."""
    parents: dict[str, object] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        values = _assignments(path)
        revision = values.get("revision")
        if isinstance(revision, str):
            parents[revision] = values.get("down_revision")
    referenced: set[object] = set()
    for parent in parents.values():
        referenced.update(parent if isinstance(parent, (tuple, list)) else [parent])
    heads = sorted(set(parents) - referenced)
    if len(heads) != 1:
        raise RuntimeError(f"the migrations must have exactly one head, found {heads}")
    return frozenset(parents), heads[0]


# Does this connection's schema (PostgreSQL: the search_path) hold Alembic's table?
_HAS_VERSION_TABLE = {
    "sqlite": "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'",
    "postgresql": "SELECT to_regclass('alembic_version') IS NOT NULL",
}


def recorded(dbapi_conn, backend: str) -> set[str]:
    """The revisions recorded in the database behind a DBAPI connection (none without the table)."""
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute(_HAS_VERSION_TABLE[backend])
        if not cursor.fetchone()[0]:
            return set()
        cursor.execute("SELECT version_num FROM alembic_version")
        return {row[0] for row in cursor.fetchall()}
    finally:
        cursor.close()


def schema_problem(found: set[str]) -> str | None:
    """Why a database at the revisions ``found`` does not fit this build, or ``None``."""
    revisions, head = known()
    if head in found or (found and not found <= revisions):
        return None
    described = ", ".join(sorted(found)) or "no revision"
    return (f"database schema is not migrated (found {described}, this build needs {head}): "
            "run python -m shared.db.migrate")
