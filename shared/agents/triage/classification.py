"""How triage reads a question's category, confidence and intent from its words and entities.

``classify(text, signals)`` scores every category of ``vocabulary.TERMS`` (each matched pattern adds
its weight; a budget or percentage target adds to cost_optimization, two or more models to
model_selection, two or more periods to usage_trends). A question about none of them, or more about
an off-topic subject than about spend, is ``out_of_scope``; one that only names a model, provider,
feature or period is read as a spend question. ``intent(category, text)`` picks the category's first
matching intent rule.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from shared.agents.triage.vocabulary import (
    CATEGORIES,
    DEFAULT_INTENT,
    INTENTS,
    OFF_TOPIC,
    SUPPORTING,
    TERMS,
    compile_terms,
)

DOMAIN = tuple(c for c in CATEGORIES if c != "out_of_scope")
# A tie goes to the narrower reading: a specific lever before savings in general, before spend.
NARROWEST_FIRST = ("caching", "batching", "model_selection", "performance", "usage_trends", "cost_optimization",
                   "spend_breakdown", "help")
TARGET_WEIGHT = 3.0       # a budget or percentage target leans to cost_optimization
MODELS_WEIGHT = 1.5       # two or more models named lean to model_selection
PERIODS_WEIGHT = 2.0      # two or more periods named lean to usage_trends


@dataclass
class _Scores:
    by_category: dict[str, float] = field(default_factory=lambda: {c: 0.0 for c in CATEGORIES})
    why: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})

    def add(self, category: str, weight: float, because: str) -> None:
        self.by_category[category] += weight
        self.why[category].append(f"{because} (+{weight:g})")


@lru_cache(maxsize=1)
def _compiled():
    terms = {category: compile_terms(patterns) for category, patterns in TERMS.items()}
    supporting = {category: compile_terms(patterns) for category, patterns in SUPPORTING.items()}
    intents = {category: [(re.compile(p), i) for p, i in rules] for category, rules in INTENTS.items()}
    return terms, supporting, compile_terms(OFF_TOPIC), intents


@dataclass(frozen=True)
class Signals:
    """What the entities say about the category."""
    model_count: int
    has_target: bool      # a budget or a percentage
    names_something: bool  # a model, provider or feature
    periods: int          # periods the message named (0 when none)


def classify(text: str, signals: Signals) -> tuple[str, float, list[str]]:
    if not text.strip():
        return "help", 0.5, ["empty message: say what can be asked"]
    terms, supporting, off_topic, _ = _compiled()
    scores = _Scores()
    for category, patterns in terms.items():
        for pattern, weight in patterns:
            if m := pattern.search(text):
                scores.add(category, weight, f'"{m[0].strip()}"')
    if signals.has_target:
        scores.add("cost_optimization", TARGET_WEIGHT, "a budget or savings target")
    if signals.model_count >= 2:
        scores.add("model_selection", MODELS_WEIGHT, f"{signals.model_count} models named")
    if signals.periods >= 2:
        scores.add("usage_trends", PERIODS_WEIGHT, f"{signals.periods} periods named")
    if any(scores.by_category[c] for c in DOMAIN) or signals.names_something:
        for category, patterns in supporting.items():
            for pattern, weight in patterns:
                if m := pattern.search(text):
                    scores.add(category, weight, f'"{m[0].strip()}"')
    for pattern, weight in off_topic:
        if m := pattern.search(text):
            scores.add("out_of_scope", weight, f'off-topic "{m[0].strip()}"')
    domain = {c: scores.by_category[c] for c in DOMAIN}
    off = scores.by_category["out_of_scope"]
    if not any(domain.values()):
        if off:
            return "out_of_scope", _confidence(off, 0), [f"out_of_scope: {', '.join(scores.why['out_of_scope'])}"]
        if signals.names_something or signals.periods:
            return "spend_breakdown", 0.4, ["names a model, provider, feature, target or period and nothing "
                                            "else: read as a spend question"]
        return "out_of_scope", 0.6, ["nothing about LLM usage, spend or this product"]
    ranked = sorted(domain.items(), key=lambda item: (-item[1], NARROWEST_FIRST.index(item[0])))
    best, best_score = ranked[0]
    if off > sum(domain.values()):
        return "out_of_scope", _confidence(off, best_score), [
            f"out_of_scope: {', '.join(scores.why['out_of_scope'])} outweighs {best} ({best_score:g})"]
    runner_up = max(ranked[1][1], off)
    why = [f"{best} {best_score:g}: {', '.join(scores.why[best])}"]
    if runner_up:
        second = ranked[1][0] if ranked[1][1] >= off else "out_of_scope"
        why.append(f"next best {second} {runner_up:g}: {', '.join(scores.why[second])}")
    return best, _confidence(best_score, runner_up), why


def _confidence(best: float, runner_up: float) -> float:
    """0.35 for a tie up to 0.95 for a clear, strong lead; a weak lead on few words stays lower."""
    margin = (best - runner_up) / best
    strength = min(1.0, best / 5.0)
    return round(0.35 + 0.6 * margin * (0.5 + 0.5 * strength), 2)


def intent(category: str, text: str) -> str:
    intents = _compiled()[3]
    for pattern, intent in intents[category]:
        if pattern.search(text):
            return intent
    return DEFAULT_INTENT[category]
