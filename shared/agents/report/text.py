"""The report's fixed wording: titles per category, what the assistant can do, and how to import records.

The import guide mirrors ``POST /api/usage/import``: CSV or JSON Lines, three formats chosen with
``?format=`` or detected from the header, deduplicated on ``request_id``.
"""
from __future__ import annotations

TITLES = {
    "spend_breakdown": "Where your LLM spend went",
    "cost_optimization": "Ways to spend less",
    "performance": "Latency, errors and token sizes",
    "model_selection": "Your models and cheaper equivalents",
    "caching": "Caching opportunities",
    "batching": "Batch processing opportunities",
    "usage_trends": "How your usage changed",
    "help": "What I can do",
    "out_of_scope": "Outside what I can answer",
}

CAPABILITIES = [
    "I answer questions about your team's LLM usage records with figures computed from those records:",
    "- **Spend breakdowns** by model, provider, feature and day, for any range (\"last 7 days\", \"in October\").",
    "- **Savings** priced on your own traffic: routing to a cheaper model of the same tier, response "
    "caching, provider prompt caching, batch APIs, max_tokens right-sizing and deprecated models.",
    "- **Performance**: latency percentiles, error rates and token sizes per feature.",
    "- **Trends**: daily spend, peaks and the busiest hours.",
]

EXAMPLE_QUESTIONS = [
    "- \"Where did our LLM money go last month?\"",
    "- \"How can we cut costs by 30%?\"",
    "- \"Would caching help the support bot?\"",
    "- \"Is there a cheaper model than gpt-4o for classification?\"",
    "- \"What is our p95 latency this week?\"",
]

OUT_OF_SCOPE_INTRO = [
    "That question is outside what I can answer: I only know your LLM usage records "
    "(tokens, models, costs, latency) and what they say about your spend.",
]

IMPORT_GUIDE = [
    "**Import your usage** with `POST /api/usage/import` (with your Bearer token), as CSV "
    "(`Content-Type: text/csv`) or JSON Lines (`Content-Type: application/x-ndjson`). Choose the format with "
    "`?format=`, or let it be detected from the header:",
    "- `tokenwise`: the columns `request_id, timestamp, provider, model, feature, prompt_tokens, "
    "completion_tokens, cached_tokens, latency_ms, status, cost_usd, prompt_hash` (timestamps in ISO 8601; "
    "`cached_tokens`, `latency_ms`, `status`, `cost_usd` and `prompt_hash` may be empty, and an empty cost is "
    "computed from the price catalog).",
    "- `litellm`: LiteLLM spend logs (the `LiteLLM_SpendLogs` columns such as `request_id`, `startTime`, "
    "`endTime`, `model`, `spend`, `prompt_tokens`, `completion_tokens`).",
    "- `openai`: an OpenAI usage export (completions results with `start_time`, `model`, `input_tokens`, "
    "`output_tokens`, `input_cached_tokens`, `num_model_requests`).",
    "",
    "```sh",
    "curl -X POST \"$TOKENWISE_URL/api/usage/import?format=tokenwise\" \\",
    "  -H \"Authorization: Bearer $TOKEN\" -H \"Content-Type: text/csv\" --data-binary @usage.csv",
    "```",
    "Importing the same file again is safe: records are deduplicated on `request_id`.",
]

UNAVAILABLE = ("Your usage data is unavailable right now: the database could not be reached, so I cannot "
               "give figures. Please ask again in a moment.")
