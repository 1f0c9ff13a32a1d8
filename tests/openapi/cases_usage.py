"""Contract cases of the usage unit: imports (CSV, JSON Lines, broken uploads), summary, demo data, delete."""
from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

from tests.e2e.client import sign, utcnow
from tests.openapi.cases import case
from tests.support.contract_api import Account, Api

COLUMNS = ("request_id,timestamp,provider,model,feature,prompt_tokens,completion_tokens,cached_tokens,latency_ms,"
           "status,cost_usd,prompt_hash")
DEMO_BODY_MAX = 1024


def _day(days_ago: int) -> str:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def usage_csv(tag: str) -> str:
    """Three good rows (one without a cost, priced from the catalog) and one with negative tokens."""
    return "\n".join([
        COLUMNS,
        f"{tag}-1,{_day(3)},openai,gpt-4o,chat,1200,310,0,850,success,0.0061,h-greeting",
        f"{tag}-2,{_day(2)},anthropic,claude-3-5-sonnet-20241022,summarise,5400,620,1024,2300,success,,h-digest",
        f"{tag}-3,{_day(1)},openai,gpt-4o-mini,classify,640,12,0,310,success,0.0001,h-label",
        f"{tag}-4,{_day(1)},openai,gpt-4o-mini,classify,-5,12,0,310,success,0.0001,h-label",
    ]) + "\n"


def csv_headers(account: Account) -> dict[str, str]:
    return {**account.bearer(), "Content-Type": "text/csv"}


@case("post", "/api/usage/import", 200)
def import_csv_with_a_bad_row(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/import", 200, data=usage_csv(account.user_id[:8]).encode(),
                    headers=csv_headers(account)).json()
    assert (body["format"], body["rows"], body["imported"], body["rejected"]) == ("tokenwise", 4, 3, 1)
    assert [(e["row"], e["field"]) for e in body["errors"]] == [(4, "prompt_tokens")]
    again = api.call("POST", "/api/usage/import", 200, data=usage_csv(account.user_id[:8]).encode(),
                     headers=csv_headers(account)).json()
    assert (again["imported"], again["duplicates"]) == (0, 3)


@case("post", "/api/usage/import", 200)
def import_openai_usage_buckets_as_json_lines(api: Api):
    account = api.register()
    start = int((datetime.now(UTC) - timedelta(days=2)).timestamp()) // 86400 * 86400
    bucket = {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": [
        {"object": "organization.usage.completions.result", "input_tokens": 182000, "output_tokens": 41000,
         "input_cached_tokens": 64000, "num_model_requests": 240, "project_id": "proj_support", "model": "gpt-4o",
         "batch": False, "user_id": None, "api_key_id": None}]}
    body = api.call("POST", "/api/usage/import?format=openai", 200, data=(json.dumps(bucket) + "\n").encode(),
                    headers={**account.bearer(), "Content-Type": "application/x-ndjson"}).json()
    assert (body["format"], body["imported"], body["rejected"]) == ("openai", 1, 0), body


@case("post", "/api/usage/import", 400)
def import_with_broken_chunked_encoding(api: Api):
    account = api.register()
    head = "\r\n".join([
        "POST /api/usage/import HTTP/1.1", "Host: 127.0.0.1", f"Authorization: Bearer {account.access_token}",
        "Content-Type: text/csv", "Transfer-Encoding: chunked", "Connection: close"])
    first = (COLUMNS + "\n").encode()
    response = api.raw(head, f"{len(first):x}\r\n".encode() + first + b"\r\nnot-a-chunk-size\r\n", 400)
    assert response.status == 400


@case("post", "/api/usage/import", 401)
def import_without_a_token(api: Api):
    body = api.call("POST", "/api/usage/import", 401, data=COLUMNS.encode(),
                    headers={"Content-Type": "text/csv"}).json()
    assert body["error"]["code"] == "missing_token"


@case("post", "/api/usage/import", 413)
def import_over_the_size_limit(api: Api):
    account = api.register()
    os.environ["USAGE_IMPORT_MAX_BYTES"] = "512"
    body = api.call("POST", "/api/usage/import", 413, data=usage_csv("big").encode() * 2,
                    headers=csv_headers(account)).json()
    assert body["error"]["code"] == "payload_too_large" and body["error"]["details"]["max_bytes"] == 512


@case("post", "/api/usage/import", 415)
def import_a_spreadsheet(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/import", 415, data=b"PK\x03\x04",
                    headers={**account.bearer(), "Content-Type": "application/vnd.ms-excel"}).json()
    assert body["error"]["code"] == "unsupported_media_type"


@case("post", "/api/usage/import", 415)
def import_compressed(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/import", 415, data=b"\x1f\x8b",
                    headers={**csv_headers(account), "Content-Encoding": "gzip"}).json()
    assert body["error"]["details"] == {"content_encoding": "gzip"}


@case("post", "/api/usage/import", 422)
def import_an_empty_file(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/import", 422, data=b"", headers=csv_headers(account)).json()
    assert body["error"]["code"] == "empty_body"


@case("post", "/api/usage/import", 422)
def import_csv_missing_columns(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/import?format=tokenwise", 422, data=b"request_id,model\nr1,gpt-4o\n",
                    headers=csv_headers(account)).json()
    assert body["error"]["code"] == "missing_columns"


@case("post", "/api/usage/import", 503)
def import_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("POST", "/api/usage/import", 503, data=usage_csv("down").encode(),
                        headers=csv_headers(account)).json()
    assert body["error"]["code"] == "database_unavailable"


@case("get", "/api/usage/summary", 200)
def summary_of_a_range(api: Api):
    account = api.register()
    api.call("POST", "/api/usage/import", 200, data=usage_csv(account.user_id[:8]).encode(),
             headers=csv_headers(account))
    body = api.call("GET", f"/api/usage/summary?start={_day(10)[:10]}&end={_day(-1)}", 200,
                    headers=account.bearer()).json()
    assert body["totals"]["requests"] == 3
    assert sorted(row["model"] for row in body["by_model"]) == ["claude-3-5-sonnet-20241022", "gpt-4o",
                                                                 "gpt-4o-mini"]


@case("get", "/api/usage/summary", 200)
def summary_without_records(api: Api):
    account = api.register()
    body = api.call("GET", "/api/usage/summary", 200, headers=account.bearer()).json()
    assert body["totals"]["requests"] == 0 and body["by_model"] == []


@case("get", "/api/usage/summary", 401)
def summary_with_an_expired_token(api: Api):
    token = sign(os.environ["JWT_SECRET"], "someone", "someone@example.com", issued=utcnow() - timedelta(hours=1),
                 ttl_s=60)
    body = api.call("GET", "/api/usage/summary", 401, headers={"Authorization": f"Bearer {token}"}).json()
    assert body["error"]["code"] == "token_expired"


@case("get", "/api/usage/summary", 422)
def summary_with_a_backwards_range(api: Api):
    account = api.register()
    body = api.call("GET", "/api/usage/summary?start=2026-03-01&end=2026-02-01", 422, headers=account.bearer()).json()
    assert body["error"]["details"]["fields"] == {"end": "must be after start"}


@case("get", "/api/usage/summary", 503)
def summary_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("GET", "/api/usage/summary", 503, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"


@case("post", "/api/usage/demo", 200)
def load_demo_data_twice(api: Api):
    account = api.register()
    first = api.call("POST", "/api/usage/demo", 200, json={"rows": 400}, headers=account.bearer()).json()
    assert (first["format"], first["rows"], first["imported"], first["duplicates"]) == ("demo", 400, 400, 0)
    again = api.call("POST", "/api/usage/demo", 200, json={"rows": 400}, headers=account.bearer()).json()
    assert (again["imported"], again["duplicates"]) == (0, 400)


@case("post", "/api/usage/demo", 400)
def demo_with_truncated_json(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/demo", 400, data=b'{"rows": ',
                    headers={**account.bearer(), "Content-Type": "application/json"}).json()
    assert body["error"]["code"] == "invalid_json"


@case("post", "/api/usage/demo", 401)
def demo_without_a_token(api: Api):
    assert api.call("POST", "/api/usage/demo", 401, json={"rows": 10}).json()["error"]["code"] == "missing_token"


@case("post", "/api/usage/demo", 403)
def demo_refused_in_production(api: Api):
    account = api.register()
    os.environ["TOKENWISE_ENV"] = "production"
    body = api.call("POST", "/api/usage/demo", 403, json={"rows": 10}, headers=account.bearer()).json()
    assert body["error"]["code"] == "demo_disabled"


@case("post", "/api/usage/demo", 413)
def demo_with_an_oversized_body(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/demo", 413, json={"rows": 10, "note": "x" * DEMO_BODY_MAX},
                    headers=account.bearer()).json()
    assert body["error"]["details"] == {"max_bytes": DEMO_BODY_MAX}


@case("post", "/api/usage/demo", 415)
def demo_as_plain_text(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/demo", 415, data=b"rows=10",
                    headers={**account.bearer(), "Content-Type": "text/plain"}).json()
    assert body["error"]["code"] == "unsupported_media_type"


@case("post", "/api/usage/demo", 422)
def demo_with_too_many_rows(api: Api):
    account = api.register()
    body = api.call("POST", "/api/usage/demo", 422, json={"rows": 200001, "seed": 3}, headers=account.bearer()).json()
    assert body["error"]["details"]["fields"] == {"rows": "an integer from 1 to 200000", "seed": "unknown field"}


@case("post", "/api/usage/demo", 503)
def demo_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("POST", "/api/usage/demo", 503, json={"rows": 10}, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"


@case("delete", "/api/usage", 200)
def delete_my_records(api: Api):
    account = api.register()
    api.call("POST", "/api/usage/import", 200, data=usage_csv(account.user_id[:8]).encode(),
             headers=csv_headers(account))
    assert api.call("DELETE", "/api/usage", 200, headers=account.bearer()).json() == {"deleted": 3}
    assert api.call("DELETE", "/api/usage", 200, headers=account.bearer()).json() == {"deleted": 0}


@case("delete", "/api/usage", 401)
def delete_without_a_token(api: Api):
    assert api.call("DELETE", "/api/usage", 401).json()["error"]["code"] == "missing_token"


@case("delete", "/api/usage", 503)
def delete_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("DELETE", "/api/usage", 503, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"
