"""Optional rewording of a report by an OpenAI-compatible chat-completions endpoint (stdlib HTTP only).

Off unless both ``LLM_BASE_URL`` and ``LLM_MODEL`` are set. Options (environment variables):

- ``LLM_BASE_URL``: the API root, e.g. ``https://api.openai.com/v1``; we POST ``<root>/chat/completions``.
- ``LLM_API_KEY``: sent as ``Authorization: Bearer``; optional for local servers; never logged.
- ``LLM_MODEL``: the model name sent in the request.
- ``LLM_TIMEOUT_S`` (default 8): the whole call's socket timeout; the template answer is never
  held back longer than this.

The model is asked to reword, not to compute: ``reword`` rejects an answer that contains a dollar
figure the template does not, so an invented number never reaches the user.
"""
from __future__ import annotations

import json
import os
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass

from shared import config

SYSTEM_PROMPT = (
    "You rewrite a cost report about a team's LLM usage so it reads naturally. Keep every number, "
    "dollar amount, percentage, date and model name exactly as given; add no new figures; keep it "
    "markdown and about as long as the original. Answer with the rewritten report only."
)
_DOLLARS = re.compile(r"\$\s?[0-9][0-9,]*(?:\.[0-9]+)?")


class LLMError(Exception):
    """The endpoint could not give a usable rewording; the message says why (no secrets)."""


@dataclass(frozen=True)
class LLMSettings:
    base_url: str
    model: str
    api_key: str | None
    timeout_s: float

    @property
    def endpoint(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"


def settings() -> LLMSettings | None:
    """The configured endpoint, or None when rewording is off."""
    base_url = os.environ.get("LLM_BASE_URL", "").strip()
    model = os.environ.get("LLM_MODEL", "").strip()
    if not base_url or not model:
        return None
    return LLMSettings(base_url, model, os.environ.get("LLM_API_KEY", "").strip() or None,
                       config.env_float("LLM_TIMEOUT_S", 8.0))


def complete(llm: LLMSettings, question: str, draft: str) -> str:
    """The endpoint's rewording of ``draft``; raises ``LLMError`` on any failure."""
    body = json.dumps({
        "model": llm.model,
        "temperature": 0,
        "messages": [
            {"role": "system", "content": SYSTEM_PROMPT},
            {"role": "user", "content": f"Question: {question}\n\nReport:\n{draft}"},
        ],
    }).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if llm.api_key:
        headers["Authorization"] = f"Bearer {llm.api_key}"
    request = urllib.request.Request(llm.endpoint, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=llm.timeout_s) as response:
            raw = response.read(2_000_000)
    except urllib.error.HTTPError as exc:
        raise LLMError(f"the wording endpoint answered HTTP {exc.code}") from None
    except TimeoutError:
        raise LLMError(f"the wording endpoint did not answer within {llm.timeout_s:g} s") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            raise LLMError(f"the wording endpoint did not answer within {llm.timeout_s:g} s") from None
        raise LLMError(f"the wording endpoint is unreachable: {exc.reason}") from None
    except OSError as exc:
        raise LLMError(f"the wording endpoint failed: {type(exc).__name__}") from None
    try:
        content = json.loads(raw)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise LLMError("the wording endpoint returned an unexpected body") from None
    if not isinstance(content, str) or not content.strip():
        raise LLMError("the wording endpoint returned an empty answer")
    return content.strip()


def _amounts(text: str) -> set[float]:
    # Compared as numbers so "$1,234.50" and "$1234.5" are the same figure.
    return {round(float(re.sub(r"[\s$,]", "", match)), 6) for match in _DOLLARS.findall(text)}


def reword(llm: LLMSettings, question: str, draft: str) -> str:
    """``complete`` plus a guard: every dollar figure in the answer must come from the draft."""
    answer = complete(llm, question, draft)
    invented = _amounts(answer) - _amounts(draft)
    if invented:
        raise LLMError("the reworded answer contained figures not in the computation: "
                       + ", ".join(f"${amount:g}" for amount in sorted(invented)[:5]))
    return answer
