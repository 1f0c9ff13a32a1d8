"""Real responses checked against the OpenAPI document: the path, method and status must be documented,
the media type must be one the document lists, and a JSON body must match its schema.

OpenAPI 3.0 schema objects become JSON Schema (draft 4, whose boolean ``exclusiveMinimum`` 3.0 shares):
``nullable: true`` adds ``null`` to the type (and to an ``enum``), component ``$ref``s point into
``definitions``, and keywords JSON Schema lacks are dropped. Formats ``date-time`` (RFC 3339, offset
required), ``date`` and ``email`` are checked. Options: none.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import ValidationError, best_match

COMPONENT_PREFIX = "#/components/schemas/"
# Keywords of the OpenAPI 3.0 schema object that are not JSON Schema validation keywords.
OPENAPI_ONLY = {"nullable", "example", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs",
                "deprecated"}
SCHEMA_MAPS = {"properties", "patternProperties", "definitions"}
SCHEMA_VALUES = {"items", "additionalProperties", "not"}
SCHEMA_LISTS = {"oneOf", "anyOf", "allOf"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
JSON_TYPES = ("application/json",)

formats = FormatChecker(formats=())


@formats.checks("date-time")
def _is_datetime(value) -> bool:
    return not isinstance(value, str) or RFC3339.fullmatch(value) is not None


@formats.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    return not isinstance(value, str) or (len(value) == 10 and date.fromisoformat(value) is not None)


@formats.checks("email")
def _is_email(value) -> bool:
    return not isinstance(value, str) or EMAIL.fullmatch(value) is not None


def to_json_schema(node):
    """One OpenAPI 3.0 schema object (and everything under it) as JSON Schema draft 4."""
    if not isinstance(node, dict):
        return node
    out: dict = {}
    for key, value in node.items():
        if key in OPENAPI_ONLY or key.startswith("x-"):
            continue
        if key == "$ref":
            if not value.startswith(COMPONENT_PREFIX):
                raise ValueError(f"only component schema references are supported: {value}")
            out[key] = "#/definitions/" + value[len(COMPONENT_PREFIX):]
        elif key in SCHEMA_MAPS:
            out[key] = {name: to_json_schema(sub) for name, sub in value.items()}
        elif key in SCHEMA_VALUES:
            out[key] = to_json_schema(value)
        elif key in SCHEMA_LISTS:
            out[key] = [to_json_schema(sub) for sub in value]
        else:
            out[key] = value  # enum, required, type, bounds, format...: data, not schemas
    if node.get("nullable") is True:
        if "$ref" in out or "type" not in out:
            return {"anyOf": [out, {"type": "null"}]}
        out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


def _describe(error: ValidationError) -> str:
    """Where and why, looking inside a failed ``oneOf``/``anyOf`` for its most specific cause."""
    while error.context:  # the ``null`` branch of a nullable schema is never the interesting failure
        relevant = [e for e in error.context if not (e.validator == "type" and e.validator_value == "null")]
        error = best_match(relevant or error.context)
    message = error.message if len(error.message) < 300 else error.message[:300] + "..."
    return f"/{'/'.join(map(str, error.absolute_path))}: {message}"


class ContractError(AssertionError):
    """A real response the document does not describe."""


@dataclass(frozen=True)
class Exchange:
    """One real request and its response, reduced to what the document speaks of."""
    method: str
    path: str  # without the query
    status: int
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class Checked:
    template: str
    method: str
    status: int


class Contract:
    def __init__(self, document: dict):
        self.document = document
        self.definitions = {name: to_json_schema(schema)
                            for name, schema in document["components"]["schemas"].items()}
        self.templates = sorted(document["paths"], key=lambda t: (t.count("{"), -len(t)))
        self._patterns = {t: re.compile(re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(t))) for t in self.templates}
        self._validators: dict[str, Draft4Validator] = {}
        Draft4Validator.check_schema({"definitions": self.definitions})

    def template(self, path: str) -> str:
        """The documented path template ``path`` falls under (literal paths before templated ones)."""
        for template in self.templates:
            if self._patterns[template].fullmatch(path):
                return template
        raise ContractError(f"{path} is not a documented path")

    def operation(self, method: str, path: str) -> tuple[str, dict]:
        template = self.template(path)
        operation = self.document["paths"][template].get(method.lower())
        if operation is None:
            raise ContractError(f"{method.upper()} {template} is not a documented operation")
        return template, operation

    def response(self, method: str, path: str, status: int) -> tuple[str, dict]:
        template, operation = self.operation(method, path)
        response = operation["responses"].get(str(status))
        if response is None:
            raise ContractError(f"{method.upper()} {template} answered {status}, which is not documented "
                                f"(documented: {sorted(operation['responses'])})")
        if "$ref" in response:
            name = response["$ref"].removeprefix("#/components/responses/")
            response = self.document["components"]["responses"][name]
        return template, response

    def validator(self, schema: dict) -> Draft4Validator:
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            self._validators[key] = Draft4Validator({**to_json_schema(schema), "definitions": self.definitions},
                                                    format_checker=formats)
        return self._validators[key]

    def validate_value(self, schema: dict, value, where: str) -> None:
        problems = sorted(self.validator(schema).iter_errors(value), key=lambda e: list(e.absolute_path))
        if problems:
            lines = [_describe(p) for p in problems[:10]]
            raise ContractError(f"{where} does not match its documented schema:\n" + "\n".join(lines))

    def check_request(self, method: str, path: str, media: str, body) -> None:
        """A request body the server accepted must match the documented request schema for its media type."""
        template, operation = self.operation(method, path)
        content = operation.get("requestBody", {}).get("content", {})
        if media not in content:
            raise ContractError(f"{method.upper()} {template} took {media}; documented: {sorted(content)}")
        self.validate_value(content[media]["schema"], body, f"the request to {method.upper()} {template}")

    def check(self, exchange: Exchange) -> Checked:
        """Raise ``ContractError`` unless the document describes this response exactly."""
        template, response = self.response(exchange.method, exchange.path, exchange.status)
        where = f"{exchange.method.upper()} {exchange.path} → {exchange.status}"
        content = response.get("content")
        if not content:
            if exchange.body:
                raise ContractError(f"{where} is documented without a body but sent {exchange.body[:200]!r}")
            return Checked(template, exchange.method.lower(), exchange.status)
        media = (exchange.content_type or "").split(";", 1)[0].strip().lower()
        if media not in content:
            raise ContractError(f"{where} answered {media or 'no Content-Type'}; documented: {sorted(content)}")
        schema = content[media]["schema"]
        if media in JSON_TYPES:
            try:
                value = json.loads(exchange.body)
            except ValueError:
                raise ContractError(f"{where} is not JSON: {exchange.body[:200]!r}") from None
        else:
            try:
                value = exchange.body.decode("utf-8") if schema.get("type") == "string" else exchange.body
            except UnicodeDecodeError:
                raise ContractError(f"{where} is documented as text but is not UTF-8") from None
        self.validate_value(schema, value, where)
        return Checked(template, exchange.method.lower(), exchange.status)
