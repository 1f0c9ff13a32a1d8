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

from dataclasses import asdict, dataclass
from typing import Any, overload

from shared.agents.pipeline.agent_run import AgentRun
from shared.agents.pipeline.events import Emitter
from shared.agents.report import llm
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


@overload
def as_dict(result: None) -> None: ...
@overload
def as_dict(result: Any) -> dict[str, Any]: ...
def as_dict(result: Any) -> dict[str, Any] | None:
    if result is None or isinstance(result, dict):
        return result
    return result.to_dict()


def _reword(message: str, markdown: str, run: AgentRun) -> tuple[str, str, str | None]:
    settings = llm.settings()
    if settings is None:
        return markdown, "template", None
    with run.tool("llm_wording", {"model": settings.model}) as summary:
        try:
            worded = llm.reword(settings, message, markdown)
        except llm.LLMError as exc:
            error = str(exc)
            summary.update(ok=False, error=error)
        else:
            summary.update(ok=True, chars=len(worded))
            return worded + "\n", "llm", None
    log.warning("llm wording failed; answering with the template", extra={"fields": {"reason": error}})
    note = f"\n_The wording service failed ({error}); this is the standard answer built from the figures._\n"
    return markdown + note, "template", error


def report(message: str, *, emitter: Emitter, triage: Any, data: Any | None, optimization: Any | None,
           data_error: str | None = None, optimization_error: str | None = None) -> ReportResult:
    facts = Facts(message, as_dict(triage) or {}, as_dict(data), as_dict(optimization),
                  data_error, optimization_error)
    sources = [name for name, result in (("data", facts.data), ("optimization", facts.optimization)) if result]
    with AgentRun(emitter, AGENT) as run:
        run.started(f"{facts.category} answer from "
                    + (" and ".join(sources) if sources else "no computed figures"))
        with run.tool("render_template", {"category": facts.category}) as summary:
            markdown, structured = render(facts)
            summary.update(data_status=structured["data_status"], chars=len(markdown))
        markdown, wording, llm_error = _reword(message, markdown, run)
        result = ReportResult(markdown, structured, wording, llm_error)
        run.completed(f"{structured['data_status']} answer, {wording} wording", result.to_dict())
        return result
