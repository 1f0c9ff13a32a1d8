"""Each database option is read, with its default, in one module: two readers drift apart."""
from __future__ import annotations

import re

import pytest

from infra.manifest import ROOT

OPTIONS = ("DATABASE_URL", "TOKENWISE_DB_SCHEMA", "DB_CONNECT_TIMEOUT_S", "DB_QUERY_TIMEOUT_S", "DB_POOL_SIZE",
           "DB_MAX_OVERFLOW", "DB_POOL_RECYCLE_S", "DB_POOL_TIMEOUT_S", "DB_BACKOFF_MAX_S", "DB_STATUS_TIMEOUT_S")
SOURCES = [path for folder in ("shared", "functions", "infra") for path in (ROOT / folder).rglob("*.py")]


def readers(option: str) -> list[str]:
    read = re.compile(rf"""(?:env_float|env_int|environ\.get|getenv)\(\s*["']{option}["']|environ\[["']{option}["']\]""")
    return sorted(str(path.relative_to(ROOT)) for path in SOURCES if read.search(path.read_text()))


@pytest.mark.parametrize("option", OPTIONS)
def test_each_database_option_is_read_in_one_module(option):
    found = readers(option)
    assert len(found) == 1, f"{option} is read in {found}: read it in one place and call that"
