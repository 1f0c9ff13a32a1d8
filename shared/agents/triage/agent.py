"""Triage: what a question is about, what it names, and which agents should answer it. No network.

``triage(message, *, emitter, user_id=None, now=None, context=None) -> TriageResult``

- ``category``: the best-scoring category of ``vocabulary.TERMS`` (each matched pattern adds its
  weight; a budget or percentage target adds to cost_optimization, two or more models to
  model_selection). A question about none of them, or more about an off-topic subject
  (weather, jokes ...) than about spend, is ``out_of_scope``; one that only names a model,
  provider, feature or period is read as a spend question.
- ``confidence``: from the margin between the best and second-best scores and the best score's size.
- ``entities``: catalog models and providers, feature tags, ``time_range`` (ISO 8601, UTC, [start,
  end); always set: ``context["time_range"]`` wins, then the message, then the 30 days ending at
  ``now``), ``budget_usd`` (per month), ``percentage``.
- ``data_sufficiency``: from ``sufficiency.look_up`` when ``user_id`` is given; ``unknown`` without
  a user or when the database is unavailable (triage still answers).
- ``next_agents``: help/out_of_scope -> []; no data -> ["report"]; spend_breakdown, usage_trends,
  performance -> ["data", "report"]; the rest -> ["data", "optimization", "report"].
``context["now"]`` stands in for ``now`` when ``now`` is not passed. Only the first
``MAX_MESSAGE_CHARS`` characters are read.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

from shared.agents.triage import entities as find
from shared.agents.pipeline.events import (AGENT_COMPLETED, AGENT_ERROR, AGENT_STARTED, AGENT_THINKING, TOOL_COMPLETED,
                                  TOOL_EXECUTING, Emitter, RunCancelled)
from shared.agents.triage.spelling import correct_typos
from shared.agents.triage.sufficiency import judge, look_up
from shared.agents.triage.timerange import TimeRange, as_utc, default_range, parse_time_range
from shared.agents.triage.vocabulary import (CATEGORIES, DEFAULT_INTENT, INTENTS, OFF_TOPIC, SUPPORTING, TERMS,
                                      compile_terms)
from shared.db import DatabaseUnavailable
from shared.errors import ValidationFailed
from shared.logging import get_logger
from shared.pricing import catalog

AGENT = "triage"
MAX_MESSAGE_CHARS = 2000
DOMAIN = tuple(c for c in CATEGORIES if c != "out_of_scope")
DIRECT = ("help", "out_of_scope")
DATA_ONLY = ("spend_breakdown", "usage_trends", "performance")
# A tie goes to the narrower reading: a specific lever before savings in general, before spend.
NARROWEST_FIRST = ("caching", "batching", "model_selection", "performance", "usage_trends", "cost_optimization",
                   "spend_breakdown", "help")
TARGET_WEIGHT = 3.0       # a budget or percentage target leans to cost_optimization
MODELS_WEIGHT = 1.5       # two or more models named lean to model_selection
PERIODS_WEIGHT = 2.0      # two or more periods named lean to usage_trends
log = get_logger("agents.triage")


@dataclass
class TriageResult:
    category: str
    intent: str
    entities: dict[str, Any]
    confidence: float
    reasons: list[str]
    data_sufficiency: str
    next_agents: list[str]
    time_range_source: str

    def to_dict(self) -> dict[str, Any]:
        return {"category": self.category, "intent": self.intent,
                "entities": {**self.entities, "models": list(self.entities["models"]),
                             "providers": list(self.entities["providers"]),
                             "features": list(self.entities["features"]),
                             "time_range": dict(self.entities["time_range"]) if self.entities["time_range"] else None},
                "confidence": self.confidence, "reasons": list(self.reasons),
                "data_sufficiency": self.data_sufficiency, "next_agents": list(self.next_agents),
                "time_range_source": self.time_range_source}

    @property
    def start(self) -> datetime:
        return datetime.fromisoformat(self.entities["time_range"]["start"])

    @property
    def end(self) -> datetime:
        return datetime.fromisoformat(self.entities["time_range"]["end"])


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


def triage(message: str, *, emitter: Emitter, user_id: str | None = None, now: datetime | None = None,
           context: dict | None = None) -> TriageResult:
    emitter.emit(AGENT_STARTED, AGENT, {"input": _short(message)})
    try:
        result = _triage(message, emitter, user_id, now, context or {})
    except RunCancelled:
        raise
    except Exception as exc:
        emitter.emit(AGENT_ERROR, AGENT, {"code": getattr(exc, "code", "internal_error"),
                                          "message": getattr(exc, "message", type(exc).__name__)})
        raise
    summary = f"{result.category} ({result.intent}), confidence {result.confidence:.2f}, " \
              f"data {result.data_sufficiency}"
    emitter.emit(AGENT_COMPLETED, AGENT, {"summary": summary, "result": result.to_dict()})
    return result


def _short(message: Any) -> str:
    text = message if isinstance(message, str) else repr(message)
    return text if len(text) <= 120 else text[:117] + "..."


def _triage(message: str, emitter: Emitter, user_id: str | None, now: datetime | None,
            context: dict) -> TriageResult:
    if not isinstance(message, str):
        raise ValidationFailed({"message": "must be a string"})
    context_now = _context_moment(context.get("now"), "context.now")
    now = as_utc(now or context_now or datetime.now(timezone.utc))
    given_range = _context_range(context)
    lowered = re.sub(r"\s+", " ", message[:MAX_MESSAGE_CHARS].lower().replace("’", "'")).strip()
    reasons: list[str] = []

    emitter.checkpoint()
    models, providers = _match_catalog(lowered, emitter, reasons)
    masked = _mask(lowered, [(m.start, m.end) for m in models], "modelref")

    emitter.checkpoint()
    time_range, source = _time_range(masked, now, given_range, reasons)
    emitter.emit(AGENT_THINKING, AGENT, {"thought": reasons[-1]})
    budget, percentage = find.find_budget(lowered), find.find_percentage(lowered)
    for label, found in (("budget", budget), ("percentage target", percentage)):
        if found:
            reasons.append(f'{label} {found.value} from "{found.phrase}"')

    emitter.checkpoint()
    sufficiency, tags = _records(user_id, time_range, now, emitter, reasons)
    features = find.find_features(masked, tags)
    masked = _mask(masked, [(f.start, f.end) for f in features], "featureref")
    if features:
        reasons.append("features: " + ", ".join(f'{f.value} ("{f.phrase}")' for f in features))

    emitter.checkpoint()
    corrected, typos = correct_typos(masked)
    if typos:
        reasons.append("read typos as: " + ", ".join(f"{a}->{b}" for a, b in typos))
    signals = _Signals(len(models), bool(budget or percentage), bool(models or providers or features),
                       time_range.periods if source == "message" else 0)
    category, confidence, why = _classify(corrected, signals)
    intent = _intent(category, corrected)
    reasons.extend(why)
    emitter.emit(AGENT_THINKING, AGENT, {"thought": f"Read as {category} ({intent}): " + "; ".join(why)})

    if category in DIRECT:
        next_agents: list[str] = []
    elif sufficiency == "none":
        next_agents = ["report"]
    elif category in DATA_ONLY:
        next_agents = ["data", "report"]
    else:
        next_agents = ["data", "optimization", "report"]
    entities = {
        "models": [m.value for m in models], "providers": providers, "features": [f.value for f in features],
        "time_range": time_range.to_dict(),
        "budget_usd": float(budget.value) if budget else None,
        "percentage": float(percentage.value) if percentage else None,
    }
    return TriageResult(category, intent, entities, confidence, reasons, sufficiency, next_agents, source)


def _match_catalog(lowered: str, emitter: Emitter, reasons: list[str]):
    emitter.emit(TOOL_EXECUTING, AGENT, {"tool": "catalog_match", "args": {"catalog_models": len(catalog().models)}})
    started = time.perf_counter()
    models = find.find_models(lowered)
    providers = [p.value for p in find.find_providers(lowered, [(m.start, m.end) for m in models])]
    for model in models:
        provider = find.model_provider(model.value)
        if provider and provider not in providers:
            providers.append(provider)
    emitter.emit(TOOL_COMPLETED, AGENT, {"tool": "catalog_match", "duration_ms": _ms(started),
                                         "summary": {"models": [m.value for m in models], "providers": providers}})
    if models:
        reasons.append("models: " + ", ".join(f'{m.value} ("{m.phrase}")' for m in models))
    if providers:
        reasons.append("providers: " + ", ".join(providers))
    return models, providers


def _mask(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    """Names replaced by a placeholder, so "haiku", a dated model id or a "translation" feature is not
    read as a word or a date; the vocabulary can still refer to the placeholder ("cheaper than modelref")."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + placeholder + text[end:]
    return text


def _context_moment(value: Any, name: str) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            pass
    raise ValidationFailed({name: "must be an ISO 8601 date or datetime"})


def _context_range(context: dict) -> TimeRange | None:
    given = context.get("time_range")
    if given is None:
        return None
    if not isinstance(given, dict):
        raise ValidationFailed({"context.time_range": "must be an object with start and end"})
    start = _context_moment(given.get("start"), "context.time_range.start")
    end = _context_moment(given.get("end"), "context.time_range.end")
    if start is None or end is None:
        raise ValidationFailed({"context.time_range": "needs both start and end"})
    if as_utc(start) >= as_utc(end):
        raise ValidationFailed({"context.time_range": "start must be before end"})
    return TimeRange(as_utc(start), as_utc(end), "context")


def _time_range(masked: str, now: datetime, given: TimeRange | None, reasons: list[str]) -> tuple[TimeRange, str]:
    if given is not None:
        reasons.append(f"time range from the context: {given.start.isoformat()} to {given.end.isoformat()}")
        return given, "context"
    parsed = parse_time_range(masked, now)
    if parsed:
        reasons.append(f'time range "{parsed.phrase}": {parsed.start.isoformat()} to {parsed.end.isoformat()}')
        return parsed, "message"
    found = default_range(now)
    reasons.append(f"no period named: the 30 days to {found.end.isoformat()}")
    return found, "default"


def _records(user_id: str | None, time_range: TimeRange, now: datetime, emitter: Emitter,
             reasons: list[str]) -> tuple[str, tuple[str, ...]]:
    if user_id is None:
        reasons.append("data sufficiency unknown: no user")
        return "unknown", ()
    emitter.emit(TOOL_EXECUTING, AGENT, {"tool": "record_count", "args": time_range.to_dict()})
    started = time.perf_counter()
    try:
        coverage = look_up(user_id, time_range.start, time_range.end, now)
    except DatabaseUnavailable as exc:
        emitter.emit(TOOL_COMPLETED, AGENT, {"tool": "record_count", "duration_ms": _ms(started),
                                             "summary": {"available": False, "reason": exc.reason}})
        emitter.emit(AGENT_THINKING, AGENT, {"thought": "The database is unavailable: data sufficiency unknown."})
        log.warning("triage without the database", extra={"fields": {"reason": exc.reason}})
        reasons.append("data sufficiency unknown: the database is unavailable")
        return "unknown", ()
    emitter.emit(TOOL_COMPLETED, AGENT, {"tool": "record_count", "duration_ms": _ms(started),
                                         "summary": {"available": True, **coverage.summary()}})
    verdict, because = judge(coverage)
    reasons.append(f"data {verdict}: {because}")
    return verdict, coverage.feature_tags


@dataclass(frozen=True)
class _Signals:
    """What the entities say about the category."""
    model_count: int
    has_target: bool      # a budget or a percentage
    names_something: bool  # a model, provider or feature
    periods: int          # periods the message named (0 when none)


def _classify(text: str, signals: _Signals) -> tuple[str, float, list[str]]:
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


def _intent(category: str, text: str) -> str:
    intents = _compiled()[3]
    for pattern, intent in intents[category]:
        if pattern.search(text):
            return intent
    return DEFAULT_INTENT[category]


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
