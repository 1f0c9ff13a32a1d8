"""Small SQL pieces that read the same on PostgreSQL and SQLite, so both backends give the same figures.

- ``Dialect``: the few expressions the backends spell differently -- an hour bucket of a
  timestamp, its day and hour, whole epoch seconds -- and the per-transaction settings for
  analytic reads (PostgreSQL: no JIT, a ``work_mem`` that lets it hash instead of sort).
- ``Scope``: whose records and which ones: a user, a ``[start, end)`` range (naive UTC) and
  optional exact model and feature names; ``where()`` renders it with bound parameters.
- ``naive_utc``: the convention the database stores (naive UTC) from any datetime.
- ``whole_hours`` and ``whole_days``: the whole hours (days) of a scope, which the hourly rollups
  (the daily histograms) answer.

Percentiles are nearest-rank on both backends: the p-th percentile of n values is the smallest
value v whose cumulative count c satisfies ``100 * c >= p * n`` (the value at rank ceil(p n / 100)).
That is PostgreSQL's ``percentile_disc`` definition, written with integer arithmetic only, so
SQLite (which has no percentile functions) computes it identically from a histogram. The values
ranked are bins (``shared.usage.rollups.value_bin``): exact below 128, and above that at most
1/64 (1.6%) below the value, as in an HDR histogram -- enough to size a max_tokens cap or read a
latency, and what lets whole days be read as a few rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, String, bindparam
from sqlalchemy.engine import Connection


def naive_utc(moment: datetime) -> datetime:
    """``moment`` in UTC without a zone (a naive value is taken as UTC already)."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


@dataclass(frozen=True)
class Dialect:
    name: str  # "postgresql" | "sqlite"

    @classmethod
    def of(cls, conn: Connection) -> Dialect:
        return cls("postgresql" if conn.dialect.name == "postgresql" else "sqlite")

    @property
    def postgres(self) -> bool:
        return self.name == "postgresql"

    def hour_bucket(self, column: str) -> str:
        """The hour a timestamp falls in, as a value that groups and orders by time."""
        if self.postgres:
            return f"date_trunc('hour', {column})"
        return f"strftime('%Y-%m-%d %H', {column})"

    def bucket_day(self, bucket: str) -> str:
        """``YYYY-MM-DD`` text of an hour bucket."""
        return f"to_char({bucket}, 'YYYY-MM-DD')" if self.postgres else f"substr({bucket}, 1, 10)"

    def bucket_hour(self, bucket: str) -> str:
        """The UTC hour (0-23) of an hour bucket, as an integer."""
        if self.postgres:
            return f"CAST(EXTRACT(HOUR FROM {bucket}) AS INTEGER)"
        return f"CAST(substr({bucket}, 12, 2) AS INTEGER)"

    def epoch_seconds(self, column: str) -> str:
        """Whole seconds since 1970 (fractions dropped the same way on both backends)."""
        if self.postgres:
            return f"floor(date_part('epoch', {column}))"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def collate_c(self) -> str:
        """Byte-order comparison for grouping keys: PostgreSQL sorts far faster with it, and SQLite's
        default (BINARY) is the same order."""
        return ' COLLATE "C"' if self.postgres else ""

    def fence(self) -> str:
        """Keeps PostgreSQL from inlining a subquery whose computed columns are used many times."""
        return "OFFSET 0" if self.postgres else ""

    def as_int(self, expression: str) -> str:
        """A boolean column as 0/1."""
        return f"CASE WHEN {expression} THEN 1 ELSE 0 END"

    def prepare(self, conn: Connection) -> None:
        """Settings for one analytic transaction (``SET LOCAL`` ends with it).

        The planner estimates an hour bucket or a prompt hash to have about as many groups as
        there are records, and with the default ``work_mem`` it would then sort a million rows
        instead of hashing them into the few thousand groups the data has; the memory is only
        used as needed. JIT compilation costs more than it saves on these statements.
        """
        if not self.postgres:
            return
        conn.exec_driver_sql("SET LOCAL jit = off")
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")


@dataclass(frozen=True)
class Scope:
    """The records an analysis reads: one user's, in ``[start, end)``, optionally some models/features."""
    user_id: str
    start: datetime
    end: datetime
    models: tuple[str, ...] | None = None
    features: tuple[str, ...] | None = None

    @classmethod
    def build(cls, user_id: str, start: datetime, end: datetime, models=None, features=None) -> Scope:
        return cls(user_id, naive_utc(start), naive_utc(end),
                   tuple(dict.fromkeys(models)) if models else None,
                   tuple(dict.fromkeys(features)) if features else None)

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0

    def where(self, extra: str = "") -> str:
        """The ``WHERE`` body; bind it with ``params()`` and ``bind()``."""
        clauses = ["user_id = :user_id", '"timestamp" >= :start', '"timestamp" < :end']
        if self.models:
            clauses.append("model IN :models")
        if self.features:
            clauses.append("feature IN :features")
        if extra:
            clauses.append(extra)
        return " AND ".join(clauses)

    def where_hours(self) -> str:
        """The ``WHERE`` body over hourly rollups (``bucket`` = the hour) for ``whole_hours``."""
        return self._where_rollup("bucket", "whole_start", "whole_end")

    def where_days(self) -> str:
        """The ``WHERE`` body over daily histograms (``day``) for ``whole_days``."""
        return self._where_rollup("day", "day_start", "day_end")

    def _where_rollup(self, column: str, start: str, end: str) -> str:
        clauses = ["user_id = :user_id", f"{column} >= :{start}", f"{column} < :{end}"]
        if self.models:
            clauses.append("model IN :models")
        if self.features:
            clauses.append("feature IN :features")
        return " AND ".join(clauses)

    def params(self) -> dict:
        values = {"user_id": self.user_id, "start": self.start, "end": self.end}
        if self.models:
            values["models"] = list(self.models)
        if self.features:
            values["features"] = list(self.features)
        return values

    def bind(self, statement):
        """Typed parameters: SQLite stores datetimes as text, so they must be rendered as SQLAlchemy does."""
        binds = [bindparam("start", type_=DateTime()), bindparam("end", type_=DateTime())]
        if self.models:
            binds.append(bindparam("models", expanding=True, type_=String()))
        if self.features:
            binds.append(bindparam("features", expanding=True, type_=String()))
        return statement.bindparams(*binds)

    def summary(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "models": list(self.models) if self.models else None,
                "features": list(self.features) if self.features else None}


def whole_hours(scope: Scope) -> dict[str, datetime]:
    """The whole UTC hours inside the scope as ``{"whole_start", "whole_end"}`` (equal when there are
    none): what hourly rollups can answer; the records outside them must be read one by one."""
    start = scope.start.replace(minute=0, second=0, microsecond=0)
    if start < scope.start:
        start += timedelta(hours=1)
    return {"whole_start": start, "whole_end": max(start, scope.end.replace(minute=0, second=0, microsecond=0))}


def whole_days(scope: Scope) -> dict[str, datetime]:
    """The whole UTC days inside the scope as ``{"day_start", "day_end"}`` (equal when there are
    none): what the daily histograms can answer."""
    start = scope.start.replace(hour=0, minute=0, second=0, microsecond=0)
    if start < scope.start:
        start += timedelta(days=1)
    return {"day_start": start, "day_end": max(start, scope.end.replace(hour=0, minute=0, second=0, microsecond=0))}
