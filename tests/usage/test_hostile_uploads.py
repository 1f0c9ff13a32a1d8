"""Hostile CSV uploads get an exact answer with bounded CPU: wide headers."""
from __future__ import annotations

import time

from tests.usage.conftest import post_import
from tests.usage.test_import_formats import OURS

CSV = "text/csv"


def error_of(response) -> dict:
    return response.get_json()["error"]


def wide_header(columns: int) -> bytes:
    return (",".join(f"c{i}" for i in range(columns)) + "\nrow\n").encode()


def test_a_header_wider_than_the_maximum_is_422_with_the_count(client, make_user):
    response = post_import(client, make_user(), wide_header(10_000))
    assert response.status_code == 422
    assert error_of(response) == {"code": "too_many_columns",
                                  "message": "The CSV header has more than 256 columns.",
                                  "details": {"columns": 10_000, "max_columns": 256}}


def test_a_million_columns_are_refused_in_linear_time(client, make_user, monkeypatch):
    monkeypatch.setenv("USAGE_IMPORT_MAX_LINE_BYTES", str(16 * 1024 * 1024))
    user = make_user()
    started = time.process_time()
    response = post_import(client, user, wide_header(1_000_000))
    assert response.status_code == 422
    assert error_of(response)["details"] == {"columns": 1_000_000, "max_columns": 256}
    # reading 7.5 MB of header is well under a second; counting each name in the list took 76 s
    assert time.process_time() - started < 15


def test_a_header_at_the_maximum_still_finds_repeated_columns(client, make_user):
    columns = OURS + [f"extra_{i}" for i in range(256 - len(OURS) - 2)] + ["model", "feature"]
    response = post_import(client, make_user(), (",".join(columns) + "\n").encode())
    assert response.status_code == 422
    assert error_of(response)["details"] == {"duplicates": ["feature", "model"]}
