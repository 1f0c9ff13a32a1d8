"""The OpenAPI operations of every unit: what each route takes, answers, and the errors it can give."""
from __future__ import annotations

from dataclasses import dataclass, field

from infra.openapi.schemas import INTEGER, STRING, ref

# Error responses by status, each with the body of shared/errors.py and the codes a client can meet.
ERRORS = {
    400: ("BadRequest", "Malformed request: invalid_json, bad_request, upload_interrupted (the body could not be "
                        "read to its end; details.committed says what was stored), websocket_upgrade_required."),
    401: ("Unauthorized", "Missing or invalid credentials: unauthorized, invalid_credentials, token_expired, "
                          "invalid_token, malformed_token, wrong_token_type, session_revoked, refresh_token_reused, "
                          "missing_token, invalid_ticket, user_not_found."),
    403: ("Forbidden", "Not allowed on this deployment: demo_disabled."),
    404: ("NotFound", "No such resource for this user (another user's resource is answered the same): not_found."),
    405: ("MethodNotAllowed", "The path exists with other methods: method_not_allowed."),
    409: ("Conflict", "The resource exists: email_taken."),
    413: ("PayloadTooLarge", "The body is over the unit's limit: payload_too_large."),
    415: ("UnsupportedMediaType", "Wrong Content-Type or charset: unsupported_media_type."),
    422: ("ValidationFailed", "Invalid fields, named in details.fields: validation_failed (and for imports "
                              "empty_body, unknown_format, format_not_detected, missing_columns, ...)."),
    429: ("TooManyRequests", "Slow down; see Retry-After and details.retry_after_s: account_locked, "
                             "too_many_requests."),
    503: ("ServiceUnavailable", "A dependency is down: database_unavailable, misconfigured, shutting_down "
                                "(and on the local stack unit_unavailable, a unit that failed to load)."),
}
JSON = "application/json"


@dataclass(frozen=True)
class Operation:
    unit: str
    path: str
    method: str
    summary: str
    ok: int = 200
    ok_schema: str | None = None
    request: dict[str, str] = field(default_factory=dict)  # media type -> schema name ("" = raw text)
    errors: tuple[int, ...] = ()
    authenticated: bool = True
    parameters: tuple[dict, ...] = ()
    ok_media: str = JSON
    extra_ok: dict = field(default_factory=dict)
    conditional: bool = False  # answers 304 to a matching If-None-Match
    operation_id: str = ""  # for a path that names nothing ("/"); else method_path_parts


def query(name: str, schema: dict, description: str, required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def path_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


_JSON_ERRORS = (400, 401, 413, 415, 422, 503)
_AGENTS = {"execute": "Answer a question with the whole pipeline (triage → data → optimization → report).",
           "triage": "Classify a question: category, entities, time range, data sufficiency.",
           "data": "Aggregate the caller's usage for the question's range (computed in SQL).",
           "optimization": "Savings levers replayed on the caller's own records, priced from the catalog."}

OPERATIONS: tuple[Operation, ...] = (
    Operation("auth", "/auth/register", "post", "Create an account and a session.", 201, "TokenPair",
              {JSON: "RegisterRequest"}, (400, 409, 413, 415, 422, 503), authenticated=False),
    Operation("auth", "/auth/login", "post", "Log in; repeated failures lock the account for a while.", 200,
              "TokenPair", {JSON: "LoginRequest"}, (400, 401, 413, 415, 422, 429, 503), authenticated=False),
    Operation("auth", "/auth/refresh", "post", "Exchange a refresh token for a new pair; reuse revokes the session.",
              200, "TokenPair", {JSON: "RefreshRequest"}, (400, 401, 413, 415, 422, 503), authenticated=False),
    Operation("auth", "/auth/validate", "post", "Check an access token (always 200; see `valid`).", 200,
              "ValidateResponse", {JSON: "ValidateRequest"}, (400, 413, 415, 422, 503), authenticated=False),
    Operation("auth", "/auth/me", "get", "The caller and their session.", 200, "Me", errors=(401, 503)),
    Operation("auth", "/auth/logout", "post", "Revoke the caller's session.", 204, errors=(401, 503)),
    Operation("usage", "/api/usage/import", "post", "Import usage records (CSV or JSON Lines, streamed); "
              "idempotent on request_id.", 200, "UsageImportResult",
              {"text/csv": "", "application/x-ndjson": ""}, (400, 401, 413, 415, 422, 503),
              parameters=(query("format", {"type": "string", "enum": ["tokenwise", "litellm", "openai"]},
                                "Detected from the header or first line when absent."),)),
    Operation("usage", "/api/usage/summary", "get", "Totals by model, provider, feature and day.", 200,
              "UsageSummary", errors=(401, 422, 503),
              parameters=(query("start", {"type": "string"}, "ISO 8601 date or datetime (UTC), inclusive."),
                          query("end", {"type": "string"}, "ISO 8601 date or datetime (UTC), exclusive."))),
    Operation("usage", "/api/usage/demo", "post", "Load the demo records for the caller, answered like an import; "
              "idempotent. Refused (403 demo_disabled) in production unless TOKENWISE_ALLOW_DEMO=1.", 200,
              "UsageDemoResult", {JSON: "UsageDemoRequest"}, (400, 401, 403, 413, 415, 422, 503)),
    Operation("usage", "/api/usage", "delete", "Delete every usage record of the caller.", 200, "UsageDeleted",
              errors=(401, 503)),
    *(Operation(f"agents_{name}", f"/api/agents/{name}", "post", summary, 200, f"{name.capitalize()}Response",
                {JSON: "AgentRequest"}, _JSON_ERRORS,
                extra_ok={"text/event-stream": {"schema": STRING, "description": "With Accept: text/event-stream, "
                          "one SSE event per AgentEvent."}} if name == "execute" else {})
      for name, summary in _AGENTS.items()),
    *(Operation("chat", path, "get", "Open the chat WebSocket (token as subprotocol `jwt.<token>`, "
                "`Authorization: Bearer`, or `?ticket=`); a plain GET without the upgrade is 400 "
                "websocket_upgrade_required.", 101, errors=(400, 401, 503), authenticated=False,
                parameters=(query("ticket", STRING, "One-time ticket from POST /api/ws/ticket."),))
      for path in ("/ws", "/api/v1/websocket")),
    Operation("chat", "/api/threads", "get", "The caller's threads, most recently active first.", 200, "ThreadList",
              errors=(401, 422, 503),
              parameters=(query("limit", {**INTEGER, "minimum": 1, "maximum": 200, "default": 50}, "Page size."),)),
    Operation("chat", "/api/threads/{thread_id}/messages", "get", "A thread and its messages in order.", 200,
              "ThreadHistory", errors=(401, 404, 503), parameters=(path_param("thread_id"),)),
    Operation("chat", "/api/threads/{thread_id}", "delete", "Delete a thread, its messages, runs and events.", 204,
              errors=(401, 404, 503), parameters=(path_param("thread_id"),)),
    Operation("chat", "/api/ws/ticket", "post", "A one-time ticket for opening the WebSocket from a browser.", 200,
              "WsTicket", errors=(401, 503)),
    Operation("chat", "/", "get", "The web chat page.", 200, ok_media="text/html", authenticated=False,
              conditional=True, operation_id="get_chat_page"),
    Operation("chat", "/static/{name}", "get", "The web page's scripts, styles and icon.", 200, errors=(404,),
              authenticated=False, parameters=(path_param("name"),),
              ok_media="text/javascript text/css image/svg+xml text/html", conditional=True),
)


def error_responses() -> dict:
    return {name: {"description": text, "content": {JSON: {"schema": ref("Error")}}}
            for name, text in ERRORS.values()}


def _ok(op: Operation) -> dict:
    if op.ok == 101:
        return {"description": "Switching Protocols: the WebSocket is open; its first frame is "
                               "connection_established."}
    if op.ok == 204:
        return {"description": "Done; no body."}
    if op.ok_media != JSON:  # one or more media types, space-separated
        return {"description": op.summary, "content": {media: {"schema": STRING} for media in op.ok_media.split()}}
    return {"description": op.summary, "content": {JSON: {"schema": ref(op.ok_schema)}, **op.extra_ok}}


def operation_id(op: Operation) -> str:
    if op.operation_id:
        return op.operation_id
    words = op.path.strip("/").replace("{", "").replace("}", "").replace("/", "_")
    if not words:
        raise ValueError(f"{op.method.upper()} {op.path} needs an operation_id: its path names nothing")
    return f"{op.method}_{words}"


def operation(op: Operation) -> dict:
    spec = {"operationId": operation_id(op),
            "summary": op.summary, "tags": [op.unit], "x-tokenwise-unit": op.unit,
            "responses": {str(op.ok): _ok(op),
                          **({"304": {"description": "Not Modified: the ETag sent in If-None-Match still matches; "
                                                     "no body."}} if op.conditional else {}),
                          **{str(code): {"$ref": f"#/components/responses/{ERRORS[code][0]}"} for code in op.errors}}}
    if op.authenticated:
        spec["security"] = [{"bearer": []}]
    else:
        spec["security"] = []
    if op.parameters:
        spec["parameters"] = list(op.parameters)
    if op.request:
        spec["requestBody"] = {"required": True, "content": {
            media: {"schema": ref(name) if name else STRING} for media, name in op.request.items()}}
    return spec


# Units whose readiness requires nothing: triage answers without its database (data_sufficiency "unknown").
ALWAYS_READY = frozenset({"agents_triage"})


def health_operations(unit_name: str, health_path: str) -> dict[str, dict]:
    body = {JSON: {"schema": ref("Health")}}
    base = {"tags": [unit_name], "x-tokenwise-unit": unit_name, "security": []}
    slug = health_path.strip("/").replace("/", "_")
    ready = {"200": {"description": "Ready (the body may still say degraded).", "content": body}}
    ready_summary = f"{unit_name}: always ready; `degraded` names its reasons."
    if unit_name not in ALWAYS_READY:
        ready["503"] = {"description": "Not ready: a dependency it requires is down.", "content": body}
        ready_summary = f"{unit_name}: 503 when a required dependency is down."
    return {
        health_path: {"get": {**base, "operationId": f"get_{slug}", "summary": f"{unit_name}: always 200; "
                              "`degraded` names its reasons.",
                              "responses": {"200": {"description": "Healthy or degraded.", "content": body}}}},
        health_path + "/ready": {"get": {**base, "operationId": f"get_{slug}_ready", "summary": ready_summary,
                                         "responses": ready}},
    }
