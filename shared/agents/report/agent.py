"""The report agent: the final markdown answer and its structured figures, from the other agents' results.

``report(message, emitter=, triage=, data=, optimization=)`` renders the category's template
(``report_templates``) from the results' ``to_dict()`` forms, so every figure in the answer is one
the data or optimization agent computed. ``data_error`` / ``optimization_error`` say that a step
could not run (the answer then says the data is unavailable instead of inventing figures).

When an OpenAI-compatible endpoint is configured (``shared.agents.report.llm``: ``LLM_BASE_URL``,
``LLM_MODEL``, ``LLM_API_KEY``, ``LLM_TIMEOUT_S``) the template is reworded by it
(``wording: "llm"``); if that call fails, or the rewording carries a figure the computation did
not produce, the answer is the template with a note saying so (``wording: "template"``, ``llm_error``).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from shared.agents.report import llm
from shared.agents.pipeline.events import (
    AGENT_COMPLETED, AGENT_ERROR, AGENT_STARTED, TOOL_COMPLETED, TOOL_EXECUTING, Emitter, RunCancelled,
)
from shared.agents.report.templates import Facts, render
from shared.logging import get_logger

AGENT = "report"
log = get_logger("agents.report")


@dataclass(frozen=True)
class ReportResult:
    markdown: str
    structured: dict[str, Any]
    wording: str  # "template" | "llm"
    llm_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def as_dict(result: Any) -> dict[str, Any] | None:
    if result is None or isinstance(result, dict):
        return result
    return result.to_dict()


def _reword(message: str, markdown: str, emitter: Emitter) -> tuple[str, str, str | None]:
    settings = llm.settings()
    if settings is None:
        return markdown, "template", None
    emitter.checkpoint()
    emitter.emit(TOOL_EXECUTING, AGENT, {"tool": "llm_wording", "args": {"model": settings.model}})
    started = time.perf_counter()
    try:
        worded = llm.reword(settings, message, markdown)
    except llm.LLMError as exc:
        error = str(exc)
        log.warning("llm wording failed; answering with the template", extra={"fields": {"reason": error}})
        emitter.emit(TOOL_COMPLETED, AGENT, {"tool": "llm_wording", "duration_ms": _ms(started),
                                             "summary": {"ok": False, "error": error}})
        note = f"\n_The wording service failed ({error}); this is the standard answer built from the figures._\n"
        return markdown + note, "template", error
    emitter.emit(TOOL_COMPLETED, AGENT, {"tool": "llm_wording", "duration_ms": _ms(started),
                                         "summary": {"ok": True, "chars": len(worded)}})
    return worded + "\n", "llm", None


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def report(message: str, *, emitter: Emitter, triage: Any, data: Any | None, optimization: Any | None,
           data_error: str | None = None, optimization_error: str | None = None) -> ReportResult:
    facts = Facts(message, as_dict(triage) or {}, as_dict(data), as_dict(optimization),
                  data_error, optimization_error)
    sources = [name for name, result in (("data", facts.data), ("optimization", facts.optimization)) if result]
    emitter.emit(AGENT_STARTED, AGENT, {"input": f"{facts.category} answer from "
                                        + (" and ".join(sources) if sources else "no computed figures")})
    try:
        emitter.checkpoint()
        emitter.emit(TOOL_EXECUTING, AGENT, {"tool": "render_template", "args": {"category": facts.category}})
        started = time.perf_counter()
        markdown, structured = render(facts)
        emitter.emit(TOOL_COMPLETED, AGENT, {"tool": "render_template", "duration_ms": _ms(started),
                                             "summary": {"data_status": structured["data_status"],
                                                         "chars": len(markdown)}})
        markdown, wording, llm_error = _reword(message, markdown, emitter)
        result = ReportResult(markdown, structured, wording, llm_error)
        emitter.checkpoint()
    except RunCancelled:
        raise
    except Exception as exc:
        emitter.emit(AGENT_ERROR, AGENT, {"code": "internal_error", "message": f"{type(exc).__name__}: {exc}"})
        raise
    emitter.emit(AGENT_COMPLETED, AGENT, {"summary": f"{structured['data_status']} answer, {wording} wording",
                                          "result": result.to_dict()})
    return result
