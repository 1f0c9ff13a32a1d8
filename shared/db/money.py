"""Money: US dollars kept to whole nano-dollars, stored and summed exactly, a float only in JSON.

The one rule for every cost the product stores, adds up or shows:

- A cost has 9 decimals. It is rounded once, half away from zero from its shortest decimal text
  (``to_nanos``), when it is written: the import path prices records with it
  (``shared.usage.costing``), and the ``Money`` column type does it for any other write.
  PostgreSQL holds the amount as ``numeric(20, 9)``; SQLite, which has no decimal type, as the
  nearest double -- from which whole nano-dollars come back exactly below $2 million
  (a record is at most $1 million).
- Sums are exact and do not depend on the order of the rows. In SQL, ``units(x)`` is a money
  value in the unit sums are taken in -- the numeric itself on PostgreSQL, whole nano-dollars as a
  64-bit integer on SQLite -- so ``SUM(units(x))`` is exact on both (SQLite up to $9.2 billion);
  ``stored(s)`` turns such a sum back into a money column's value (the rollups), exact below
  $2 million per SQLite row. ``from_units`` reads a sum into a ``Decimal`` of dollars, the type
  every amount keeps in Python.
- Shown: ``to_json`` gives the float nearest to the exact amount, only where a figure leaves as
  JSON, so the same records always show the same number, whatever order they were written in.
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Float, Numeric
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

SCALE = 9
NANO = Decimal(1).scaleb(-SCALE)
NANOS_PER_USD = 10 ** SCALE
ZERO = Decimal(0).quantize(NANO)


def to_nanos(value: float | str | Decimal) -> Decimal:
    """``value`` in dollars rounded to whole nano-dollars (a float is read as its shortest decimal text)."""
    exact = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    return exact.quantize(NANO, rounding=ROUND_HALF_UP)


def to_json(amount: Decimal) -> float:
    return float(amount)


def units(expression: str, postgres: bool) -> str:
    """SQL: a stored money value in the unit exact sums are taken in (see the module docstring)."""
    if postgres:
        return expression
    return f"CAST(ROUND(({expression}) * {NANOS_PER_USD}) AS INTEGER)"


def stored(units_sum: str, postgres: bool) -> str:
    """SQL: a sum in ``units`` as the value of a money column."""
    if postgres:
        return units_sum
    return f"(({units_sum}) / {NANOS_PER_USD}.0)"


def from_units(value: Any, postgres: bool) -> Decimal | None:
    """A sum in ``units`` read from the driver, as dollars (None stays None)."""
    if value is None:
        return None
    if postgres:
        return Decimal(value).quantize(NANO)
    return Decimal(int(value)).scaleb(-SCALE)


class Money(TypeDecorator):
    """A money column: ``numeric(20, 9)`` on PostgreSQL, a double on SQLite; ``Decimal`` in Python.

    Values bound through SQLAlchemy are rounded to whole nano-dollars first, so a write that does
    not come through the import path stores what the import path would.
    """

    impl = Numeric(20, SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Numeric(20, SCALE, asdecimal=True))
        return dialect.type_descriptor(Float())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        amount = to_nanos(value)
        return amount if dialect.name == "postgresql" else float(amount)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else to_nanos(value)
