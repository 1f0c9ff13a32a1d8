"""Capability tiers: which catalog models can stand in for one another (docs/model_tiers.md explains each).

A tier groups models of comparable capability across vendors, placed by each vendor's own
line-up (Anthropic Opus / Sonnet / Haiku; OpenAI Sol and flagships / Terra, GPT-5.x and 4.x
generalists / mini / nano and Luna; Google Pro / Flash / 2.5 Flash / Flash-Lite; Mistral Large and
Medium / Small / Ministral), with the catalog's ``successor_model`` links as a cross-check
(``gpt-5-nano`` and ``gpt-4.1-nano`` are succeeded by ``gpt-5.6-luna``). It is an editorial table,
not a benchmark: docs/model_tiers.md gives each row's basis. Code-specialised, audio, search,
preview and experimental models are left out: routing to or from them needs an evaluation their
price cannot stand for.

- ``TIER_ORDER``: tiers from most to least capable; routing one step down is a cross-tier move.
- ``tier_of(model)``: a catalog name's tier (dated snapshots such as ``-2025-08-06`` or
  ``-20251001`` count as their family), or None when the table does not place it.
- ``members(tier)``: the tier's catalog names.
"""
from __future__ import annotations

import re

TIER_ORDER = ("frontier", "balanced", "efficient", "nano")

TIERS: dict[str, tuple[str, ...]] = {
    "frontier": (
        "claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8", "claude-opus-5",
        "claude-opus-5-5",
        "gpt-5.5", "gpt-5.6", "gpt-5.6-sol", "gpt-6-sol", "gpt-6.1-sol", "o1", "o3", "gpt-4", "gpt-4-turbo",
        "gemini/gemini-2.5-pro", "gemini/gemini-3.1-pro-preview", "gemini/gemini-pro-latest",
        "gemini-pro-latest",
    ),
    "balanced": (
        "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-sonnet-5", "claude-sonnet-5-5",
        "gpt-5", "gpt-5.1", "gpt-5.2", "gpt-5.4", "gpt-4.1", "gpt-4o", "gpt-5.6-terra", "gpt-6.1-terra",
        "gemini/gemini-3.5-flash", "gemini/gemini-3.6-flash", "gemini/gemini-3.7-flash",
        "gemini/gemini-3.8-flash", "gemini/gemini-flash-latest", "gemini-flash-latest",
        "mistral/mistral-medium-3", "mistral/mistral-medium-3.5", "mistral/mistral-medium-latest",
        "mistral/mistral-large-3", "mistral/mistral-large-4", "mistral/mistral-large-latest",
        "xai/grok-4.20", "xai/grok-4.3", "xai/grok-4.5", "xai/grok-4.6", "xai/grok-4.7",
        "deepseek/deepseek-v4-pro", "deepseek-v4-pro",
    ),
    "efficient": (
        "claude-haiku-4-5", "claude-haiku-5-5",
        "gpt-5-mini", "gpt-5.4-mini", "gpt-4.1-mini", "gpt-4o-mini", "o4-mini", "o3-mini",
        "gemini/gemini-2.5-flash",
        "mistral/mistral-small-latest", "mistral/mistral-small-2603",
        "deepseek/deepseek-v4-flash", "deepseek-v4-flash", "deepseek/deepseek-chat", "deepseek-chat",
    ),
    "nano": (
        "gpt-5-nano", "gpt-4.1-nano", "gpt-5.4-nano", "gpt-5.6-luna", "gpt-6-luna",
        "gemini/gemini-2.5-flash-lite", "gemini/gemini-3.1-flash-lite", "gemini/gemini-3.5-flash-lite",
        "gemini/gemini-flash-lite-latest", "gemini-flash-lite-latest",
        "mistral/ministral-3-3b-2512", "mistral/ministral-3-8b-2512", "mistral/ministral-3-14b-2512",
        "mistral/ministral-8b-latest", "mistral/ministral-3b-latest", "mistral/ministral-14b-latest",
    ),
}

SOURCES = {
    "anthropic": "Anthropic, Models overview (Opus: most capable; Sonnet: balance; Haiku: fastest): "
                 "https://docs.anthropic.com/en/docs/about-claude/models/overview",
    "openai": "OpenAI, Models (flagship, mini: faster and cheaper for well-defined tasks, nano: "
              "fastest and cheapest): https://platform.openai.com/docs/models",
    "gemini": "Google, Gemini models (Pro, Flash: price-performance, Flash-Lite: cost at scale): "
              "https://ai.google.dev/gemini-api/docs/models",
    "mistral": "Mistral AI, Models overview (Large / Medium, Small, Ministral): "
               "https://docs.mistral.ai/getting-started/models/",
    "xai": "xAI, Models and pricing: https://docs.x.ai/docs/models",
    "deepseek": "DeepSeek, Models and pricing: https://api-docs.deepseek.com/quick_start/pricing",
    "catalog": "LiteLLM model price map: successor_model links and prices (shared/pricing/NOTICE)",
}

_DATED = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")
_TIER_BY_MODEL = {model: tier for tier, models in TIERS.items() for model in models}


def family(model: str) -> str:
    """A catalog name without a dated-snapshot suffix."""
    return _DATED.sub("", model)


def tier_of(model: str) -> str | None:
    return _TIER_BY_MODEL.get(model) or _TIER_BY_MODEL.get(family(model))


def members(tier: str) -> tuple[str, ...]:
    return TIERS.get(tier, ())


def lower_tier(tier: str) -> str | None:
    index = TIER_ORDER.index(tier)
    return TIER_ORDER[index + 1] if index + 1 < len(TIER_ORDER) else None
