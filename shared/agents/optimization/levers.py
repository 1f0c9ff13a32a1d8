"""The savings levers' ids, in the order answers list them, and which levers answer which question.

Every module that names a lever takes its id from here: the levers themselves, the agent's
evaluator table, ``combine`` and the supervisor's ``plan``.
"""
from __future__ import annotations

MODEL_ROUTING = "model_routing"
RESPONSE_CACHING = "response_caching"
PROMPT_CACHING = "prompt_caching"
BATCH = "batch"
MAX_TOKENS = "max_tokens"
MODEL_DEPRECATION = "model_deprecation"

LEVERS = (MODEL_ROUTING, RESPONSE_CACHING, PROMPT_CACHING, BATCH, MAX_TOKENS, MODEL_DEPRECATION)

# The levers a triage category asks about; a category not listed asks about every lever.
CATEGORY_LEVERS: dict[str, tuple[str, ...]] = {
    "caching": (RESPONSE_CACHING, PROMPT_CACHING),
    "batching": (BATCH,),
    "model_selection": (MODEL_ROUTING, MODEL_DEPRECATION),
}

# Levers that act on the same requests in the same way: of each group only the larger saving counts.
ALTERNATIVES = ((RESPONSE_CACHING, PROMPT_CACHING), (MODEL_ROUTING, MODEL_DEPRECATION), (BATCH,), (MAX_TOKENS,))
