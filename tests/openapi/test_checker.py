"""The contract checker itself: it must refuse what the document does not describe, or the contract proves nothing."""
from __future__ import annotations

import json

import pytest

from tests.openapi.contract import Contract, ContractError, Exchange, to_json_schema

DOCUMENT = {
    "paths": {
        "/items": {"get": {"responses": {
            "200": {"description": "ok", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Items"}}}},
            "404": {"$ref": "#/components/responses/NotFound"}}}},
        "/items/{item_id}": {"delete": {"responses": {"204": {"description": "gone"}}},
                             "put": {"requestBody": {"content": {"application/json": {
                                 "schema": {"$ref": "#/components/schemas/Item"}}}},
                                 "responses": {"204": {"description": "stored"}}}},
        "/items/new": {"get": {"responses": {"200": {"description": "page", "content": {"text/html": {
            "schema": {"type": "string"}}}}}}},
    },
    "components": {
        "schemas": {
            "Item": {"type": "object", "additionalProperties": False, "required": ["id", "at"], "properties": {
                "id": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                "note": {"type": "string", "nullable": True},
                "kind": {"type": "string", "enum": ["a", "b"], "nullable": True},
                "range": {"allOf": [{"$ref": "#/components/schemas/Range"}], "nullable": True}}},
            "Range": {"type": "object", "required": ["day"],
                      "properties": {"day": {"type": "string", "format": "date"}}},
            "Items": {"type": "object", "required": ["items"], "properties": {
                "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}}}},
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "object"}}},
        },
        "responses": {"NotFound": {"description": "none", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}},
    },
}
GOOD_ITEM = {"id": "i1", "at": "2026-11-01T09:30:00Z", "note": None, "kind": None, "range": None}


def exchange(body, status: int = 200, path: str = "/items", method: str = "get",
             content_type: str | None = "application/json") -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(method, path, status, content_type, raw)


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract(DOCUMENT)


def test_nullable_becomes_a_type_union_and_refs_point_into_definitions():
    assert to_json_schema({"type": "string", "nullable": True}) == {"type": ["string", "null"]}
    assert to_json_schema({"type": "string", "enum": ["a"], "nullable": True}) == {"type": ["string", "null"],
                                                                                   "enum": ["a", None]}
    assert to_json_schema({"allOf": [{"$ref": "#/components/schemas/X"}], "nullable": True}) == {
        "anyOf": [{"allOf": [{"$ref": "#/definitions/X"}]}, {"type": "null"}]}
    assert to_json_schema({"type": "string", "example": "x", "x-unit": "auth"}) == {"type": "string"}
    with pytest.raises(ValueError):
        to_json_schema({"$ref": "other.json#/X"})


def test_a_matching_answer_passes_and_names_its_template(contract):
    checked = contract.check(exchange({"items": [GOOD_ITEM, {**GOOD_ITEM, "note": "n", "kind": "a",
                                                             "range": {"day": "2026-11-01"}}]}))
    assert (checked.template, checked.method, checked.status) == ("/items", "get", 200)
    assert contract.check(exchange(b"", 204, "/items/abc", "delete", None)).template == "/items/{item_id}"
    assert contract.check(exchange(b"<html>", path="/items/new", content_type="text/html; charset=utf-8")).template \
        == "/items/new"  # a literal path wins over a template


@pytest.mark.parametrize("item, problem", [
    ({**GOOD_ITEM, "extra": 1}, "Additional properties"),
    ({k: v for k, v in GOOD_ITEM.items() if k != "at"}, "'at' is a required property"),
    ({**GOOD_ITEM, "at": "2026-11-01T09:30:00"}, "is not a 'date-time'"),
    ({**GOOD_ITEM, "id": None}, "None is not of type 'string'"),
    ({**GOOD_ITEM, "kind": "c"}, "is not one of"),
    ({**GOOD_ITEM, "range": {"day": "2026-13-01"}}, "is not a 'date'"),
])
def test_a_body_off_its_schema_fails(contract, item, problem):
    with pytest.raises(ContractError, match=problem):
        contract.check(exchange({"items": [item]}))


@pytest.mark.parametrize("bad, problem", [
    (exchange({"items": []}, status=500), "answered 500, which is not documented"),
    (exchange({"items": []}, path="/nothing"), "/nothing is not a documented path"),
    (exchange({"items": []}, method="post"), "POST /items is not a documented operation"),
    (exchange({"items": []}, content_type="text/plain"), "answered text/plain"),
    (exchange(b"not json"), "is not JSON"),
    (exchange(b"{}", 204, "/items/abc", "delete", "application/json"), "documented without a body"),
    (exchange({"oops": 1}, status=404), "'error' is a required property"),
])
def test_an_undocumented_answer_fails(contract, bad, problem):
    with pytest.raises(ContractError, match=problem):
        contract.check(bad)


def test_an_accepted_request_must_match_the_documented_request_schema(contract):
    contract.check_request("put", "/items/abc", "application/json", GOOD_ITEM)
    with pytest.raises(ContractError, match="'id' is a required property"):
        contract.check_request("put", "/items/abc", "application/json", {"at": "2026-11-01T09:30:00Z"})
    with pytest.raises(ContractError, match="took text/csv"):
        contract.check_request("put", "/items/abc", "text/csv", "id,at")
