"""Bad rows are reported and good rows land; bad uploads get the exact status and error code."""
from __future__ import annotations

import io
import json
import uuid

import pytest

from tests.support.usage_import import post_import, to_csv, to_jsonl
from tests.support.users import User
from tests.usage.test_import_formats import OURS, ours, stored

CSV, JSONL = "text/csv", "application/x-ndjson"


def error_of(response) -> dict:
    return response.get_json()["error"]


def test_bad_rows_are_reported_with_row_field_and_reason(client, make_user):
    user = make_user()
    rows = [
        ours("ok-1"),
        ours("bad-1", prompt_tokens="-5", timestamp="yesterday"),
        ours("ok-2", latency_ms="15.5"),
        ours("", completion_tokens="12.5"),
        ours("bad-3", cached_tokens="5000"),
        ours("bad-4", cost_usd="free", model=""),
        ours("ok-3", prompt_tokens="1200.0"),
    ]
    response = post_import(client, user, to_csv(rows, OURS))
    assert response.status_code == 200
    body = response.get_json()
    assert (body["imported"], body["duplicates"], body["rejected"], body["rows"]) == (3, 0, 4, 7)
    assert body["errors"] == [
        {"row": 2, "field": "timestamp", "reason": "must be an ISO 8601 timestamp"},
        {"row": 2, "field": "prompt_tokens", "reason": "must not be negative"},
        {"row": 4, "field": "request_id", "reason": "is required"},
        {"row": 4, "field": "completion_tokens", "reason": "must be a whole number"},
        {"row": 5, "field": "cached_tokens", "reason": "cached and cache-write tokens exceed prompt_tokens"},
        {"row": 6, "field": "model", "reason": "is required"},
        {"row": 6, "field": "cost_usd", "reason": "must be a number"},
    ]
    assert sorted(stored(user.id)) == ["ok-1", "ok-2", "ok-3"]


def test_jsonl_lines_that_are_not_objects_are_rejected_rows(client, make_user):
    user = make_user()
    body = (to_jsonl([ours("j-1")]) + b"\n{not json}\n[1, 2]\n" + to_jsonl([ours("j-2", prompt_tokens=True)])
            + to_jsonl([ours("j-3")]))
    response = post_import(client, user, body, JSONL)
    assert response.status_code == 200
    result = response.get_json()
    assert (result["imported"], result["rejected"], result["rows"]) == (2, 3, 5)
    assert [(e["row"], e["field"]) for e in result["errors"]] == [(2, None), (3, None), (4, "prompt_tokens")]
    assert result["errors"][0]["reason"].startswith("is not valid JSON")
    assert result["errors"][1]["reason"] == "must be a JSON object"
    assert result["errors"][2]["reason"] == "must be a whole number"


def test_csv_rows_with_the_wrong_width_or_bad_bytes_are_rejected(client, make_user):
    user = make_user()
    good = to_csv([ours("w-1"), ours("w-2")], OURS)
    header, first, second = good.decode().splitlines()
    bad_bytes = ",".join(["w-bad\xff".encode("latin-1").decode("latin-1")] + first.split(",")[1:])
    body = "\n".join([header, first, "w-3,only,three", second]).encode() + b"\n" + bad_bytes.encode("latin-1")
    response = post_import(client, user, body)
    result = response.get_json()
    assert (result["imported"], result["rejected"]) == (2, 2)
    assert result["errors"] == [
        {"row": 2, "field": None, "reason": "has 3 fields; the header has 12"},
        {"row": 4, "field": "request_id", "reason": "is not valid UTF-8"},
    ]


def test_only_the_first_100_errors_are_listed(client, make_user):
    user = make_user()
    rows = [ours(f"e-{i}", prompt_tokens="x") for i in range(150)] + [ours("fine")]
    result = post_import(client, user, to_csv(rows, OURS)).get_json()
    assert (result["imported"], result["rejected"], len(result["errors"])) == (1, 150, 100)
    assert result["errors_truncated"] is True
    assert result["errors"][-1] == {"row": 100, "field": "prompt_tokens", "reason": "must be a whole number"}


def test_control_characters_and_long_values_are_refused(client, make_user):
    user = make_user()
    rows = [ours("c-1", feature="a\nb"), ours("c-2", model="m" * 201), ours("c-3", feature="ok\x00")]
    result = post_import(client, user, to_jsonl(rows), JSONL).get_json()
    assert result["rejected"] == 3
    assert [e["field"] for e in result["errors"]] == ["feature", "model", "feature"]
    assert result["errors"][1]["reason"] == "is longer than 200 characters"


def test_a_json_line_over_the_limit_is_one_rejected_row(client, make_user, monkeypatch):
    monkeypatch.setenv("USAGE_IMPORT_MAX_LINE_BYTES", "2048")
    user = make_user()
    body = to_jsonl([ours("l-1"), ours("l-2", feature="x" * 5000), ours("l-3")])
    result = post_import(client, user, body, JSONL).get_json()
    assert (result["imported"], result["rejected"]) == (2, 1)
    assert result["errors"] == [{"row": 2, "field": None, "reason": "is longer than 2048 bytes"}]


def test_large_csv_fields_up_to_the_line_limit_are_read(client, make_user):
    user = make_user()
    row = {"request_id": "big-1", "call_type": "acompletion", "startTime": "2026-11-03T12:00:00Z",
           "model": "gpt-4o-mini", "prompt_tokens": 10, "completion_tokens": 2, "spend": "0.1",
           "metadata": json.dumps({"tags": ["support"], "notes": "x" * 300_000})}
    result = post_import(client, user, to_csv([row, {**row, "request_id": "big-2"}])).get_json()
    assert (result["format"], result["imported"], result["rejected"]) == ("litellm", 2, 0)
    assert stored(user.id)["big-1"]["feature"] == "support"


def test_reimport_stores_nothing_twice_and_counts_duplicates(client, make_user):
    user = make_user()
    rows = [ours(f"d-{i}") for i in range(30)]
    assert post_import(client, user, to_csv(rows, OURS)).get_json()["imported"] == 30
    more = rows[10:] + [ours("d-new"), ours("d-new")]  # repeated within the upload too
    result = post_import(client, user, to_csv(more, OURS)).get_json()
    assert (result["imported"], result["duplicates"], result["rejected"]) == (1, 21, 0)
    assert len(stored(user.id)) == 31


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data; boundary=x"])
def test_wrong_content_type_is_415(client, make_user, content_type):
    user = make_user()
    response = post_import(client, user, b"{}", content_type)
    assert response.status_code == 415
    error = error_of(response)
    assert error["code"] == "unsupported_media_type"
    assert "text/csv" in error["details"]["accepted"] and "application/x-ndjson" in error["details"]["accepted"]


def test_a_charset_other_than_utf8_is_415(client, make_user):
    response = post_import(client, make_user(), to_csv([ours("x")], OURS), "text/csv; charset=latin-1")
    assert response.status_code == 415
    assert error_of(response)["details"] == {"charset": "latin-1"}


@pytest.mark.parametrize("body", [b"", b"\n \n", b"\r\n"])
@pytest.mark.parametrize("content_type", [CSV, JSONL])
def test_empty_body_is_422(client, make_user, body, content_type):
    response = post_import(client, make_user(), body, content_type)
    assert response.status_code == 422
    assert error_of(response)["code"] == "empty_body"


def test_unknown_format_is_422(client, make_user):
    response = post_import(client, make_user(), to_csv([ours("x")], OURS), fmt="helicone")
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_format"
    assert error_of(response)["details"] == {"format": "helicone", "allowed": ["litellm", "openai", "tokenwise"]}


def test_undetectable_format_is_422(client, make_user):
    response = post_import(client, make_user(), b"when,what,howmuch\n2026-01-01,x,3\n")
    assert response.status_code == 422
    assert error_of(response)["code"] == "format_not_detected"
    assert error_of(response)["details"]["columns"] == ["howmuch", "what", "when"]


def test_header_missing_required_columns_is_422_naming_them(client, make_user):
    columns = [c for c in OURS if c not in ("model", "completion_tokens")]
    body = to_csv([{k: v for k, v in ours("x").items() if k in columns}], columns)
    response = post_import(client, make_user(), body, fmt="tokenwise")
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "missing_columns"
    assert error["details"] == {"format": "tokenwise", "missing": ["model", "completion_tokens"]}


def test_first_json_line_missing_columns_is_422(client, make_user):
    row = {k: v for k, v in ours("x").items() if k != "feature"}
    response = post_import(client, make_user(), to_jsonl([row]), JSONL)
    assert response.status_code == 422
    assert error_of(response)["details"] == {"format": "tokenwise", "missing": ["feature"]}


def test_unknown_columns_in_our_format_are_422(client, make_user):
    row = {**ours("x"), "costs": "1"}
    response = post_import(client, make_user(), to_csv([row]))
    assert response.status_code == 422
    assert error_of(response)["code"] == "unexpected_columns"
    assert error_of(response)["details"]["unexpected"] == ["costs"]


def test_repeated_header_columns_are_422(client, make_user):
    body = (",".join(OURS + ["model"]) + "\n").encode()
    response = post_import(client, make_user(), body)
    assert response.status_code == 422
    assert error_of(response) == {"code": "invalid_header", "message": "The CSV header repeats columns.",
                                  "details": {"duplicates": ["model"]}}


def test_declared_length_over_the_limit_is_413_before_reading(client, make_user, monkeypatch):
    monkeypatch.setenv("USAGE_IMPORT_MAX_BYTES", "1000")
    user = make_user()
    body = to_csv([ours(f"s-{i}") for i in range(40)], OURS)
    response = post_import(client, user, body)
    assert response.status_code == 413
    assert error_of(response)["details"] == {"max_bytes": 1000}
    assert stored(user.id) == {}


class _Chunked(io.RawIOBase):
    """A body without Content-Length, read in small pieces like a chunked upload."""

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self.data.read(min(len(buffer), 512))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def test_a_stream_growing_past_the_limit_is_413_with_what_was_committed(client, make_user, monkeypatch):
    monkeypatch.setenv("USAGE_IMPORT_MAX_BYTES", "300000")
    monkeypatch.setenv("USAGE_IMPORT_BATCH_ROWS", "100")
    user = make_user()
    body = to_csv([ours(f"g-{i:05d}") for i in range(5000)], OURS)
    assert len(body) > 300000
    response = client.post("/api/usage/import", data=b"", headers={**user.headers, "Content-Type": CSV},
                           environ_overrides={"wsgi.input": _Chunked(body), "wsgi.input_terminated": True,
                                              "CONTENT_LENGTH": ""})
    assert response.status_code == 413
    details = error_of(response)["details"]
    assert details["max_bytes"] == 300000
    committed = details["committed"]
    assert committed["imported"] == len(stored(user.id)) > 0
    assert committed["through_row"] == committed["imported"] and committed["imported"] % 100 == 0


def test_an_upload_cut_short_is_400_with_what_was_committed(client, make_user, monkeypatch):
    monkeypatch.setenv("USAGE_IMPORT_BATCH_ROWS", "100")
    user = make_user()
    body = to_csv([ours(f"u-{i:05d}") for i in range(5000)], OURS)
    # the declared length promises the whole body, 60 % arrives: the client went away mid-row
    response = client.post("/api/usage/import", data=b"", headers={**user.headers, "Content-Type": CSV},
                           environ_overrides={"wsgi.input": io.BytesIO(body[:len(body) * 6 // 10]),
                                              "CONTENT_LENGTH": str(len(body))})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "upload_interrupted"
    committed = error["details"]["committed"]
    assert 2000 < committed["imported"] == len(stored(user.id)) < 3100
    assert committed["through_row"] == committed["imported"] and committed["imported"] % 100 == 0


def test_a_compressed_upload_is_415(client, make_user):
    user = make_user()
    response = client.post("/api/usage/import", data=b"\x1f\x8b...",
                           headers={**user.headers, "Content-Type": CSV, "Content-Encoding": "gzip"})
    assert response.status_code == 415
    assert error_of(response)["details"] == {"content_encoding": "gzip"}


def test_unauthenticated_import_summary_and_delete_are_401(client):
    for response in (client.post("/api/usage/import", data=b"x", headers={"Content-Type": CSV}),
                     client.get("/api/usage/summary"), client.delete("/api/usage")):
        assert response.status_code == 401
        assert error_of(response)["code"] == "missing_token"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    bad = client.get("/api/usage/summary", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401 and error_of(bad)["code"] == "malformed_token"


def test_token_of_a_deleted_account_is_401(client):
    ghost = User(str(uuid.uuid4()), "ghost@example.com")  # a valid token, no row
    response = post_import(client, ghost, to_csv([ours("x")], OURS))
    assert response.status_code == 401
    assert error_of(response)["code"] == "user_not_found"


def test_health_answers_without_a_token(client):
    response = client.get("/api/usage/health")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["service"], body["status"], body["database_status"]) == ("usage", "healthy", "connected")
