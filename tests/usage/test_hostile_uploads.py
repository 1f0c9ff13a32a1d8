"""Hostile CSV uploads get an exact answer with bounded CPU and memory: wide headers, one huge line."""
from __future__ import annotations

import time
import tracemalloc

from tests.support.piecewise_stream import PiecewiseStream
from tests.support.usage_import import post_import, to_csv
from tests.usage.test_import_formats import OURS, ours, stored

CSV = "text/csv"
LIMIT = 1024 * 1024  # USAGE_IMPORT_MAX_LINE_BYTES by default


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


def test_a_header_longer_than_the_record_limit_is_an_invalid_header(client, make_user):
    response = post_import(client, make_user(), wide_header(200_000))
    assert response.status_code == 422
    assert error_of(response) == {"code": "invalid_header", "message": "The CSV header cannot be read.",
                                  "details": {"reason": f"is longer than {LIMIT} characters"}}


def test_a_header_at_the_maximum_still_finds_repeated_columns(client, make_user):
    columns = OURS + [f"extra_{i}" for i in range(256 - len(OURS) - 2)] + ["model", "feature"]
    response = post_import(client, make_user(), (",".join(columns) + "\n").encode())
    assert response.status_code == 422
    assert error_of(response)["details"] == {"duplicates": ["feature", "model"]}


LINE_BYTES = 20 * 1024 * 1024


def _long_line_upload() -> PiecewiseStream:
    """A chunked CSV upload: a good row, one 20 MB line, a good row; produced as the server reads it."""
    header, first, last = to_csv([ours("long-1"), ours("long-3")], OURS).splitlines(keepends=True)
    piece = b"x" * 65536
    return PiecewiseStream([header, first, b"long-2,", *[piece] * (LINE_BYTES // len(piece)), b"\n", last])


def test_a_20_mb_line_is_one_rejected_row_and_is_never_held(client, make_user):
    user = make_user()
    assert post_import(client, user, to_csv([ours("warm-up")], OURS)).status_code == 200
    tracemalloc.start()
    try:
        response = client.post("/api/usage/import", data=b"", headers={**user.headers, "Content-Type": CSV},
                               environ_overrides={"wsgi.input": _long_line_upload(), "wsgi.input_terminated": True,
                                                  "CONTENT_LENGTH": ""})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # the record so far and one line at most, with the decoder's buffers: a few MiB, never the 20 MB line
    assert peak < 8 * LIMIT, f"peak {peak / 2**20:.1f} MiB"
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert (result["rows"], result["imported"], result["rejected"]) == (3, 2, 1)
    assert result["errors"] == [{"row": 2, "field": None, "reason": f"is longer than {LIMIT} characters"}]
    assert sorted(stored(user.id)) == ["long-1", "long-3", "warm-up"]
