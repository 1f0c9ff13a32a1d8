"""The OpenAPI component schemas: request and response bodies of every unit, and the one error body."""
from __future__ import annotations

from shared.agents.http.request import MAX_MESSAGE_CHARS, THREAD_ID


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict, required: tuple[str, ...] = (), extra: bool | dict = False, **more) -> dict:
    schema = {"type": "object", "properties": properties, "additionalProperties": extra, **more}
    if required:
        schema["required"] = list(required)
    return schema


def array(items: dict, **more) -> dict:
    return {"type": "array", "items": items, **more}


STRING, INTEGER, NUMBER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_STRING = {"type": "string", "nullable": True}
ANY_OBJECT = {"type": "object", "additionalProperties": True}
EVENT_TYPES = ["agent_started", "agent_thinking", "tool_executing", "tool_completed", "agent_completed",
               "agent_error"]
AGENT_NAMES = {"execute": "supervisor", "triage": "triage", "data": "data", "optimization": "optimization"}
LEVERS = ["model_routing", "response_caching", "prompt_caching", "batch", "max_tokens", "model_deprecation"]
CATEGORIES = ["spend_breakdown", "cost_optimization", "performance", "model_selection", "caching", "batching",
              "usage_trends", "help", "out_of_scope"]
UTC_INPUT = {"type": "string", "description": "ISO 8601 date (midnight UTC) or datetime: without an offset (read "
                                              "as UTC), with Z or +00:00."}
RANGE = obj({"start": DATETIME, "end": DATETIME}, ("start", "end"),
            description="UTC; start inclusive, end exclusive.")
INPUT_RANGE = obj({"start": UTC_INPUT, "end": UTC_INPUT}, ("start", "end"),
                  description="Start inclusive, end exclusive, start before end, at most 366 days.")
SPEND_ROW = obj({"requests": INTEGER, "cost_usd": NUMBER, "prompt_tokens": INTEGER, "completion_tokens": INTEGER,
                 "share": NUMBER}, extra=True)


def agent_response(agent: str, result: str) -> dict:
    """The JSON answer of one agent endpoint: its own result schema, the events of the run."""
    return obj({
        "status": {"type": "string", "enum": ["success"]}, "agent": {"type": "string", "enum": [agent]},
        "result": ref(result), "events": array(ref("AgentEvent")), "execution_time_ms": NUMBER,
    }, ("status", "agent", "result", "events", "execution_time_ms"))


def _row(*keys: str) -> dict:
    return {**SPEND_ROW, "properties": {**{k: STRING for k in keys}, **SPEND_ROW["properties"]}}


SCHEMAS: dict[str, dict] = {
    "Error": obj({"error": obj({
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$", "example": "validation_failed"},
        "message": STRING,
        "details": {"type": "object", "additionalProperties": True,
                    "description": "422: {fields: {name: reason}}; 429: {retry_after_s}; 503: {reason}."},
    }, ("code", "message", "details"))}, ("error",)),
    "Health": obj({
        "status": {"type": "string", "enum": ["healthy", "degraded"]}, "service": STRING, "version": STRING,
        "uptime_s": NUMBER, "database_status": STRING, "checks": ANY_OBJECT,
        "reasons": {"type": "object", "additionalProperties": STRING},
    }, ("status", "service"), extra=True),
    "User": obj({"id": STRING, "email": {"type": "string", "format": "email"}, "name": NULLABLE_STRING,
                 "created_at": DATETIME}, ("id", "email", "name")),
    "TokenPair": obj({"access_token": STRING, "refresh_token": STRING,
                      "token_type": {"type": "string", "enum": ["Bearer"]}, "expires_in": INTEGER,
                      "user": ref("User")}, ("access_token", "refresh_token", "token_type", "expires_in", "user")),
    "Me": obj({"user": ref("User"), "session_id": STRING}, ("user", "session_id")),
    "RegisterRequest": obj({"email": {"type": "string", "format": "email"}, "password": {"type": "string",
                            "minLength": 8}, "name": NULLABLE_STRING}, ("email", "password")),
    "LoginRequest": obj({"email": STRING, "password": STRING}, ("email", "password")),
    "RefreshRequest": obj({"refresh_token": STRING}, ("refresh_token",)),
    "ValidateRequest": obj({"token": STRING}, ("token",)),
    "ValidateResponse": obj({"valid": BOOLEAN, "user_id": STRING, "email": STRING, "expires_at": DATETIME,
                             "error": {"type": "string", "description": "Why the token is not valid."}},
                            ("valid",)),
    "UsageImportResult": obj({
        "imported": INTEGER, "duplicates": INTEGER, "rejected": INTEGER,
        "errors": array(obj({"row": INTEGER, "field": NULLABLE_STRING, "reason": STRING}, extra=True),
                        maxItems=100),
        "errors_truncated": BOOLEAN, "format": {"type": "string", "enum": ["tokenwise", "litellm", "openai"]},
        "rows": INTEGER, "cost_sources": {"type": "object", "additionalProperties": INTEGER},
        "unpriced_models": {"type": "object", "additionalProperties": INTEGER},
    }, ("imported", "duplicates", "rejected", "errors"), extra=True),
    "UsageDemoRequest": obj({"rows": {**INTEGER, "minimum": 1, "maximum": 200000, "default": 20000}}),
    "UsageDemoResult": obj({
        "imported": INTEGER, "duplicates": INTEGER, "rejected": INTEGER, "errors": array(ANY_OBJECT, maxItems=0),
        "errors_truncated": BOOLEAN, "format": {"type": "string", "enum": ["demo"]}, "rows": INTEGER,
        "cost_sources": {"type": "object", "additionalProperties": INTEGER},
        "unpriced_models": {"type": "object", "additionalProperties": INTEGER}, "seed": INTEGER, "days": INTEGER,
    }, ("imported", "duplicates", "rejected", "errors", "rows")),
    "UsageSummary": obj({
        "range": obj({"start": {**DATETIME, "nullable": True}, "end": {**DATETIME, "nullable": True}},
                     ("start", "end"), description="The bounds asked for (null when open)."),
        "totals": ANY_OBJECT, "by_model": array(_row("model", "provider")), "by_provider": array(_row("provider")),
        "by_feature": array(_row("feature")),
        "by_day": array(obj({"day": {"type": "string", "format": "date"}, "requests": INTEGER, "cost_usd": NUMBER},
                            extra=True)),
    }, ("totals", "by_model", "by_provider", "by_feature", "by_day"), extra=True),
    "UsageDeleted": obj({"deleted": INTEGER}, ("deleted",)),
    "AgentRequest": obj({
        "message": {"type": "string", "minLength": 1, "maxLength": MAX_MESSAGE_CHARS},
        "thread_id": {"type": "string", "pattern": f"^{THREAD_ID.pattern}$", "nullable": True},
        "context": {**obj({"time_range": INPUT_RANGE, "now": UTC_INPUT}, extra=True), "nullable": True},
    }, ("message",)),
    "AgentEvent": obj({
        "type": {"type": "string", "enum": EVENT_TYPES}, "event_id": STRING, "run_id": STRING,
        "thread_id": NULLABLE_STRING,
        "agent": {"type": "string", "enum": ["triage", "data", "optimization", "report", "supervisor"]},
        "timestamp": DATETIME, "payload": ANY_OBJECT,
    }, ("type", "event_id", "run_id", "agent", "timestamp", "payload")),
    **{f"{name.capitalize()}Response": agent_response(agent, f"{name.capitalize()}Result")
       for name, agent in AGENT_NAMES.items()},
    "TriageResult": obj({
        "category": {"type": "string", "enum": CATEGORIES}, "intent": STRING,
        "entities": obj({"models": array(STRING), "providers": array(STRING), "features": array(STRING),
                         "time_range": {**RANGE, "nullable": True}, "budget_usd": {**NUMBER, "nullable": True},
                         "percentage": {**NUMBER, "nullable": True}}, extra=True),
        "confidence": {"type": "number", "minimum": 0, "maximum": 1}, "reasons": array(STRING),
        "data_sufficiency": {"type": "string", "enum": ["none", "partial", "sufficient", "unknown"]},
        "next_agents": array({"type": "string", "enum": ["data", "optimization", "report"]}),
        "time_range_source": {"type": "string", "enum": ["context", "message", "default"]},
    }, ("category", "intent", "entities", "confidence", "reasons", "data_sufficiency", "next_agents"), extra=True),
    "DataResult": obj({
        "range": RANGE, "totals": ANY_OBJECT, "by_model": array(_row("model", "provider")),
        "by_provider": array(_row("provider")), "by_feature": array(_row("feature")), "by_day": array(ANY_OBJECT),
        "token_percentiles": ANY_OBJECT, "latency_ms": ANY_OBJECT, "repeated_prompt_share": NUMBER,
        "hourly_profile": array(INTEGER, minItems=24, maxItems=24),
    }, ("range", "totals", "by_model"), extra=True),
    "Recommendation": obj({
        "id": STRING, "lever": {"type": "string", "enum": LEVERS}, "title": STRING,
        "monthly_savings_usd": {"type": "number", "minimum": 0}, "savings_pct": NUMBER, "confidence": NUMBER,
        "method": STRING, "assumptions": array(STRING),
        "evidence": obj({"records": INTEGER, "sample_request_ids": array(STRING)}, extra=True), "risk": STRING,
    }, ("id", "lever", "title", "monthly_savings_usd", "savings_pct", "confidence", "method", "assumptions",
        "evidence", "risk"), extra=True),
    "OptimizationResult": obj({
        "range": RANGE, "spend_usd": NUMBER, "days": NUMBER, "recommendations": array(ref("Recommendation")),
        "not_recommended": array(obj({"lever": STRING, "reason": STRING}, extra=True)),
        "total_monthly_savings_usd": {"type": "number", "minimum": 0},
    }, ("recommendations", "total_monthly_savings_usd"), extra=True),
    "ExecuteResult": obj({
        "answer": {"type": "string", "description": "Markdown."},
        "category": {"type": "string", "enum": CATEGORIES}, "triage": ref("TriageResult"),
        "data": {"allOf": [ref("DataResult")], "nullable": True},
        "optimization": {"allOf": [ref("OptimizationResult")], "nullable": True},
        "report": {**ANY_OBJECT, "nullable": True},
    }, ("answer", "category", "triage"), extra=True),
    "Thread": obj({"id": STRING, "title": NULLABLE_STRING, "created_at": DATETIME, "updated_at": DATETIME},
                  ("id", "created_at", "updated_at"), extra=True),
    "ThreadList": obj({"threads": array(ref("Thread"))}, ("threads",)),
    "Message": obj({"id": STRING, "role": {"type": "string", "enum": ["user", "assistant"]}, "content": STRING,
                    "structured": {**ANY_OBJECT, "nullable": True}, "run_id": NULLABLE_STRING,
                    "client_message_id": NULLABLE_STRING, "created_at": DATETIME},
                   ("id", "role", "content", "created_at"), extra=True),
    "ThreadHistory": obj({"thread": ref("Thread"), "messages": array(ref("Message"))}, ("thread", "messages")),
    "WsTicket": obj({"ticket": STRING, "expires_in": INTEGER}, ("ticket", "expires_in")),
}
