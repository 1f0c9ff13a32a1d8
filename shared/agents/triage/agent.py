"""Triage: what a question is about, what it names, and which agents should answer it. No network.

``triage(message, *, emitter, user_id=None, now=None, time_range=None) -> TriageResult``

- ``category``, ``intent`` and ``confidence``: see ``classification``.
- ``entities``: catalog models and providers, feature tags, ``time_range`` (ISO 8601, UTC, [start,
  end); always set: a validated ``time_range`` (the request's context) wins, then the message,
  then the 30 days ending at ``now``), ``budget_usd`` (per month), ``percentage``.
- ``data_sufficiency``: from ``sufficiency.look_up`` when ``user_id`` is given; ``unknown`` without
  a user or when the database is unavailable (triage still answers).
- ``next_agents``: help/out_of_scope -> []; no data -> ["report"]; spend_breakdown, usage_trends,
  performance -> ["data", "report"]; the rest -> ["data", "optimization", "report"].
``now`` and ``time_range`` are naive or aware UTC, already validated by the request parser
(``shared.agents.http.request``); at most ``MAX_MESSAGE_CHARS`` characters are read. A message
naming a period that would leave the calendar ("the last 1000000 days") raises
``ValidationFailed`` on ``message`` (422 over HTTP; the run's answer says why on the chat).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.agents.http.request import MAX_MESSAGE_CHARS
from shared.agents.pipeline.agent_run import AgentRun
from shared.agents.pipeline.events import Emitter
from shared.agents.triage import entities as find
from shared.agents.triage.classification import Signals, classify
from shared.agents.triage.classification import intent as read_intent
from shared.agents.triage.spelling import correct_typos
from shared.agents.triage.sufficiency import Coverage, judge, look_up
from shared.agents.triage.timerange import (
    OutOfRange,
    TimeRange,
    default_range,
    parse_time_range,
)
from shared.clock import OUT_OF_RANGE, aware_utc, utcnow, within_range
from shared.db import DatabaseUnavailable
from shared.errors import ValidationFailed
from shared.logging import get_logger
from shared.pricing import catalog

AGENT = "triage"
DIRECT = ("help", "out_of_scope")
DATA_ONLY = ("spend_breakdown", "usage_trends", "performance")
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


def triage(message: str, *, emitter: Emitter, user_id: str | None = None, now: datetime | None = None,
           time_range: tuple[datetime, datetime] | None = None) -> TriageResult:
    with AgentRun(emitter, AGENT) as run:
        run.started(_short(message))
        result = _triage(message, run, user_id, aware_utc(now or utcnow()), time_range)
        run.completed(f"{result.category} ({result.intent}), confidence {result.confidence:.2f}, "
                      f"data {result.data_sufficiency}", result.to_dict())
        return result


def _short(message: Any) -> str:
    text = message if isinstance(message, str) else repr(message)
    return text if len(text) <= 120 else text[:117] + "..."


def _triage(message: str, run: AgentRun, user_id: str | None, now: datetime,
            requested: tuple[datetime, datetime] | None) -> TriageResult:
    if not isinstance(message, str):
        raise ValidationFailed({"message": "must be a string"})
    if not within_range(now):  # the request parser refuses it first; periods counted from it would overflow
        raise ValidationFailed({"context.now": OUT_OF_RANGE})
    given_range = TimeRange(aware_utc(requested[0]), aware_utc(requested[1]), "context") if requested else None
    lowered = re.sub(r"\s+", " ", message[:MAX_MESSAGE_CHARS].lower().replace("’", "'")).strip()
    reasons: list[str] = []

    models, providers = _match_catalog(lowered, run, reasons)
    masked = _mask(lowered, [(m.start, m.end) for m in models], "modelref")

    run.emitter.checkpoint()
    time_range, source = _time_range(masked, now, given_range, reasons)
    run.think(reasons[-1])
    budget, percentage = find.find_budget(lowered), find.find_percentage(lowered)
    for label, found in (("budget", budget), ("percentage target", percentage)):
        if found:
            reasons.append(f'{label} {found.value} from "{found.phrase}"')

    sufficiency, tags = _records(user_id, time_range, now, run, reasons)
    features = find.find_features(masked, tags)
    masked = _mask(masked, [(f.start, f.end) for f in features], "featureref")
    if features:
        reasons.append("features: " + ", ".join(f'{f.value} ("{f.phrase}")' for f in features))

    run.emitter.checkpoint()
    corrected, typos = correct_typos(masked)
    if typos:
        reasons.append("read typos as: " + ", ".join(f"{a}->{b}" for a, b in typos))
    signals = Signals(len(models), bool(budget or percentage), bool(models or providers or features),
                      time_range.periods if source == "message" else 0)
    category, confidence, why = classify(corrected, signals)
    intent = read_intent(category, corrected)
    reasons.extend(why)
    run.think(f"Read as {category} ({intent}): " + "; ".join(why))

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


def _match_catalog(lowered: str, run: AgentRun, reasons: list[str]) -> tuple[list[find.Mention], list[str]]:
    with run.tool("catalog_match", {"catalog_models": len(catalog().models)}) as summary:
        models = find.find_models(lowered)
        providers = [p.value for p in find.find_providers(lowered, [(m.start, m.end) for m in models])]
        for model in models:
            provider = find.model_provider(model.value)
            if provider and provider not in providers:
                providers.append(provider)
        summary.update(models=[m.value for m in models], providers=providers)
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


def _time_range(masked: str, now: datetime, given: TimeRange | None, reasons: list[str]) -> tuple[TimeRange, str]:
    if given is not None:
        reasons.append(f"time range from the context: {given.start.isoformat()} to {given.end.isoformat()}")
        return given, "context"
    try:
        parsed = parse_time_range(masked, now)
    except OutOfRange as exc:
        raise ValidationFailed({"message": exc.reason},
                               f"The question {exc.reason.replace('names', 'asks about', 1)}.") from None
    if parsed:
        reasons.append(f'time range "{parsed.phrase}": {parsed.start.isoformat()} to {parsed.end.isoformat()}')
        return parsed, "message"
    found = default_range(now)
    reasons.append(f"no period named: the 30 days to {found.end.isoformat()}")
    return found, "default"


def _records(user_id: str | None, time_range: TimeRange, now: datetime, run: AgentRun,
             reasons: list[str]) -> tuple[str, tuple[str, ...]]:
    if user_id is None:
        reasons.append("data sufficiency unknown: no user")
        return "unknown", ()
    with run.tool("record_count", time_range.to_dict()) as summary:
        coverage: Coverage | None
        try:
            coverage = look_up(user_id, time_range.start, time_range.end, now)
        except DatabaseUnavailable as exc:
            summary.update(available=False, reason=exc.reason)
            coverage = None
        else:
            summary.update(available=True, **coverage.summary())
    if coverage is None:
        run.think("The database is unavailable: data sufficiency unknown.")
        log.warning("triage without the database", extra={"fields": {"reason": summary["reason"]}})
        reasons.append("data sufficiency unknown: the database is unavailable")
        return "unknown", ()
    verdict, because = judge(coverage)
    reasons.append(f"data {verdict}: {because}")
    return verdict, coverage.feature_tags
