"""What a question names: catalog models, providers, feature tags, a budget and a percentage target.

- ``find_models(text)``: catalog names written loosely ("gpt 4o mini", "GPT4o", "claude sonnet 4.5",
  "sonnet 4.5", "gemini 2.5 flash", "mistral large" for ``mistral/mistral-large-latest``); the
  longest name wins ("gpt-4o-mini" over "gpt-4o"). A name that exists both bare and with a
  ``provider/`` prefix is reported bare, as the catalog looks it up either way.
- ``find_providers(text)``: provider words ("openai", "anthropic", "claude", "google", "gemini",
  "mistral", "xai", ...) as the catalog names providers.
- ``find_features(text, tags)``: the user's own feature tags written in the text (separators
  loose: "support bot" finds ``support-bot``) and phrases like "the chat feature" or
  "feature `summarize`".
- ``find_budget(text)``: "under $500/month", "budget of 2k", "$1,200 a month", "$50 per day";
  the amount is per month (a daily, weekly or yearly budget is converted).
- ``find_percentage(text)``: a reduction target ("cut 30%", "reduce by 20 percent", "in half").
Each returns what it found with the words it came from, for triage's reasons.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from shared.pricing import catalog
from shared.pricing.catalog import normalise_provider

_TOKEN = re.compile(r"[a-z]+|\d+")
# Families people name without the brand: "sonnet 4.5" is claude-sonnet-4-5.
_BRANDLESS = {"claude": ("sonnet", "opus", "haiku")}
# Provider words beyond the catalog's alias table.
_PROVIDER_WORDS = {"open ai": "openai", "chatgpt": "openai", "gpt": "openai", "x ai": "xai", "x.ai": "xai",
                   "vertex": "gemini", "vertex ai": "gemini", "google": "gemini", "anthropic's": "anthropic"}
_FEATURE_STOP = {"which", "what", "each", "every", "any", "a", "an", "the", "this", "that", "my", "our", "one",
                 "most", "top", "new", "same", "other", "expensive", "costliest", "biggest", "per", "by", "is",
                 "was", "and", "or", "with", "in", "on", "for", "of", "to", "tag", "tags", "feature", "features",
                 "specific", "single", "particular", "given", "cheapest", "busiest", "slowest", "whole"}


@dataclass(frozen=True)
class Mention:
    value: str      # the catalog name, provider, feature tag
    phrase: str     # the words in the question
    start: int = 0  # character span in the lowered question
    end: int = 0


def tokens(text: str) -> list[tuple[str, int, int]]:
    """Lower-case letter runs and digit runs, with their spans: "GPT-4o" -> gpt, 4, o."""
    return [(m[0], m.start(), m.end()) for m in _TOKEN.finditer(text.lower())]


def _key(name: str) -> tuple[str, ...]:
    return tuple(t for t, _, _ in tokens(name))


@lru_cache(maxsize=1)
def _model_aliases() -> tuple[dict[tuple[str, ...], str], int]:
    """Token sequence -> catalog name, the exact names first, then shorthand that is unambiguous."""
    names = catalog().names()
    exact: dict[tuple[str, ...], str] = {}
    for name in sorted(names, key=lambda n: ("/" in n, n)):  # bare names claim a key first
        exact.setdefault(_key(name.split("/", 1)[-1]), name)
    derived: dict[tuple[str, ...], set[str]] = {}
    for key, name in exact.items():
        shorthand = []
        if key[-1] == "latest" and (len(key) > 2 or len(key[0]) >= 8):  # "chat-latest" is not "chat"
            shorthand.append(key[:-1])
        if key[0] in _BRANDLESS and len(key) > 2 and key[1] in _BRANDLESS[key[0]]:
            shorthand.append(key[1:])
        for alias in shorthand:
            if alias not in exact:
                derived.setdefault(alias, set()).add(name)
    aliases = dict(exact)
    aliases.update({alias: next(iter(found)) for alias, found in derived.items() if len(found) == 1})
    return aliases, max(len(k) for k in aliases)


def find_models(text: str) -> list[Mention]:
    aliases, longest = _model_aliases()
    words = tokens(text)
    found: list[Mention] = []
    i = 0
    while i < len(words):
        for size in range(min(longest, len(words) - i), 0, -1):
            key = tuple(w for w, _, _ in words[i:i + size])
            name = aliases.get(key)
            if name and _standalone(text, words[i][1], words[i + size - 1][2]):
                start, end = words[i][1], words[i + size - 1][2]
                found.append(Mention(name, text[start:end], start, end))
                i += size
                break
        else:
            i += 1
    return _unique(found)


def _standalone(text: str, start: int, end: int) -> bool:
    """The tokens are a whole word run: "gpt-4" is not found inside "gpt-4x" or "gpt-4o"."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not before.isalnum() and not after.isalnum()


def _unique(mentions: list[Mention]) -> list[Mention]:
    first: dict[str, Mention] = {}
    for m in mentions:
        first.setdefault(m.value, m)
    return list(first.values())


def model_provider(name: str) -> str | None:
    price = catalog().lookup(name)
    return price.provider if price else None


@lru_cache(maxsize=1)
def _provider_pattern() -> tuple[re.Pattern, dict[str, str]]:
    from shared.pricing.catalog import PROVIDER_ALIASES
    known = {price.provider for price in catalog().models.values()}
    words = {w: normalise_provider(p) for w, p in {**PROVIDER_ALIASES, **_PROVIDER_WORDS}.items()}
    words = {w: p for w, p in words.items() if p in known}
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w./-])({alternatives})(?![\w/])"), words


def find_providers(text: str, skip: Sequence[tuple[int, int]] = ()) -> list[Mention]:
    """Provider words outside ``skip`` (spans already taken by model names)."""
    pattern, words = _provider_pattern()
    found = [Mention(words[m[1]], m[1], m.start(), m.end()) for m in pattern.finditer(text.lower())
             if not any(s <= m.start() < e for s, e in skip)]
    return _unique(found)


def find_features(text: str, tags: list[str] | tuple[str, ...] = ()) -> list[Mention]:
    words = tokens(text)
    sequence = [w for w, _, _ in words]
    found: list[Mention] = []
    for tag in sorted(tags, key=lambda t: -len(_key(t))):
        key = list(_key(tag))
        if not key:
            continue
        for i in range(len(sequence) - len(key) + 1):
            if sequence[i:i + len(key)] == key:
                start, end = words[i][1], words[i + len(key) - 1][2]
                found.append(Mention(tag, text[start:end], start, end))
                break
    lowered = text.lower()
    phrases = [
        r"(?:the|our|my|their)\s+(?P<f>[a-z0-9][\w-]*(?:\s+[a-z0-9][\w-]*)?)\s+feature\b",
        r"\bfeature\s*(?:called|named|tagged)?\s*[\"'`](?P<f>[^\"'`]{1,60})[\"'`]",
        r"\b(?:feature|tag)\s*[:=]\s*(?P<f>[\w-]+)",
    ]
    for pattern in phrases:
        for m in re.finditer(pattern, lowered):
            phrase = m["f"].strip()
            parts = phrase.split()
            while parts and parts[0] in _FEATURE_STOP:
                parts = parts[1:]
            if not parts or any(p in _FEATURE_STOP for p in parts):
                continue
            phrase = " ".join(parts)
            tag = next((t for t in tags if _key(t) == _key(phrase)), phrase)
            found.append(Mention(tag, m[0], m.start(), m.end()))
    return _unique(found)


_AMOUNT = r"(?P<amount>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>k|m|thousand|million|grand)?\b"
_MONEY_UNIT = r"(?:\$|usd|dollars?|bucks)"
_PERIOD = r"(?:\s*(?:/|per|a|an|each|every)\s*(?P<period>month|mo|day|week|wk|year|yr|annum))?"
_STRONG_CUE = (r"(?:budget|spend(?:ing)? (?:cap|limit|target|goal)|cap|ceiling|limit|target|goal)\s*"
               r"(?:of|is|at|to|:|=|around|about)?")
_WEAK_CUE = (r"(?:under|below|less than|at most|no more than|not more than|max(?:imum)?(?: of)?|within|"
             r"down to|stay under|stay below|keep (?:it|us|spend|costs?|the bill) (?:under|below|at)|target of|"
             r"get (?:it |spend |costs? )?(?:to|under|below))")
_BUDGET_PATTERNS = [
    re.compile(rf"{_STRONG_CUE}\s*(?:\$|usd\s*)?\s*{_AMOUNT}\s*{_MONEY_UNIT}?{_PERIOD}"),
    re.compile(rf"{_WEAK_CUE}\s*\$\s*{_AMOUNT}{_PERIOD}"),
    re.compile(rf"{_WEAK_CUE}\s*{_AMOUNT}\s*{_MONEY_UNIT}{_PERIOD}"),
    re.compile(rf"{_WEAK_CUE}\s*(?P<amount>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>k|grand|thousand|million)\b{_PERIOD}"),
    re.compile(rf"\$\s*{_AMOUNT}{_PERIOD}\s*(?:monthly\s+|a month\s+)?(?:budget|cap|limit)"),
]
_SCALE = {None: 1, "k": 1e3, "thousand": 1e3, "grand": 1e3, "m": 1e6, "million": 1e6}
_PER_MONTH = {None: 1.0, "month": 1.0, "mo": 1.0, "day": 30.0, "week": 30 / 7, "wk": 30 / 7,
              "year": 1 / 12, "yr": 1 / 12, "annum": 1 / 12}


def find_budget(text: str) -> Mention | None:
    lowered = text.lower()
    for pattern in _BUDGET_PATTERNS:
        m = pattern.search(lowered)
        if m:
            amount = float(m["amount"].replace(",", "")) * _SCALE[m["scale"]]
            monthly = round(amount * _PER_MONTH[m["period"]], 2)
            if monthly > 0:
                return Mention(f"{monthly:g}", m[0].strip(), m.start(), m.end())
    return None


_PERCENT = r"(?P<pct>\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|per cent\b|pct\b)"
_CUT_VERB = (r"(?:cut\w*|reduc\w*|lower\w*|sav\w*|trim\w*|drop\w*|decreas\w*|slash\w*|shav\w*|shrink\w*|bring\w* down|"
             r"get\w* down|knock\w*|down)")
_PERCENT_PATTERNS = [
    re.compile(rf"{_CUT_VERB}\b[^.?!%]{{0,40}}?\b(?:by\s+|of\s+|about\s+|around\s+|~)?{_PERCENT}"),
    re.compile(rf"{_PERCENT}\s*(?:cheaper|less|lower|reduction|savings?|cut|off|decrease|drop)\b"),
]
_HALF = re.compile(r"\b(?:in half|by half|halve|halving|half the (?:cost|bill|spend))\b")


def find_percentage(text: str) -> Mention | None:
    lowered = text.lower()
    for pattern in _PERCENT_PATTERNS:
        m = pattern.search(lowered)
        if m and 0 < float(m["pct"]) <= 100:
            return Mention(f"{float(m['pct']):g}", m[0].strip(), m.start(), m.end())
    m = _HALF.search(lowered)
    return Mention("50", m[0], m.start(), m.end()) if m else None
