"""The migrated ``usage_records`` table matches ``shared.db.schema`` on both backends."""
from sqlalchemy import inspect

from shared.db import get_engine
from shared.db.schema import usage_records


def test_migration_and_schema_agree(database):
    inspector = inspect(get_engine())
    migrated = {column["name"]: column for column in inspector.get_columns("usage_records")}
    declared = {column.name: column for column in usage_records.columns}
    assert sorted(migrated) == sorted(declared)
    for name, column in declared.items():
        assert migrated[name]["nullable"] == column.nullable, name
    indexes = {index["name"]: index["column_names"] for index in inspector.get_indexes("usage_records")}
    for index in usage_records.indexes:
        assert indexes[index.name] == [column.name for column in index.columns]
    uniques = {u["name"]: u["column_names"] for u in inspector.get_unique_constraints("usage_records")}
    assert uniques["uq_usage_user_request"] == ["user_id", "request_id"]


def test_request_count_defaults_to_one(database):
    migrated = {c["name"]: c for c in inspect(get_engine()).get_columns("usage_records")}
    assert "1" in str(migrated["request_count"]["default"])
