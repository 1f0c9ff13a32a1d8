"""The demo traffic: one shape per feature, chosen to exercise every analysis.

Token sizes are log-normal with the given mean and standard deviation (chat
turns average a few hundred tokens with a deviation about as large as the
mean, as in public chat corpora), clipped to ``[low, high]``. ``repeat_share``
of a feature's requests re-send one of ``prompt_pool`` prompts, drawn with a
Zipf-like law (weight 1/k^1.1): a few prompts repeat very often, most rarely.
``hours`` weights the UTC hour of day; weekends carry ``WEEKEND_FACTOR`` of a
weekday's traffic.

| feature | model (provider) | shape |
| --- | --- | --- |
| chat_assistant | gpt-5.4 (openai) 75%, claude-sonnet-4-5 (anthropic) 25% | long-tailed turns, daytime, automatic prefix caching on some long prompts |
| code_completion | codestral-latest (mistral) | prompt-heavy, tiny outputs, fast, weekday office hours |
| summarisation | gemini-2.5-flash (gemini) | long documents, nightly bursts, slow and latency-tolerant |
| classification | gpt-4.1-nano (openai, deprecated 2026-10-23) | tiny outputs, ``max_tokens`` 1,024 far above need, many exact repeats |
| support_agent | claude-sonnet-4-5 (anthropic) | a 1,850-token system prompt on every call, no prompt caching |
"""
from __future__ import annotations

import math
from dataclasses import dataclass

WEEKEND_FACTOR = 0.45
ZIPF_EXPONENT = 1.1

OFFICE = (1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 10, 10, 10, 9, 8, 6, 5, 4, 3, 2, 1)
EVENINGS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 9, 9, 9, 9, 9, 9, 9, 10, 10, 9, 7, 5)
NIGHTLY = (6, 30, 40, 35, 20, 4, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 2)


@dataclass(frozen=True)
class Size:
    mean: float
    sd: float
    low: int
    high: int

    @property
    def mu_sigma(self) -> tuple[float, float]:
        sigma2 = math.log(1.0 + (self.sd / self.mean) ** 2)
        return math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2)


@dataclass(frozen=True)
class Feature:
    name: str
    weight: float
    models: tuple[tuple[str, str, float], ...]  # (provider, model, share)
    prompt: Size
    completion: Size
    system_tokens: int  # fixed prefix sent with every call
    max_tokens: int
    latency_base_ms: float
    latency_per_output_ms: float
    repeat_share: float
    prompt_pool: int
    hours: tuple[int, ...]
    error_rate: float
    cached_share: float  # share of long prompts that hit a provider's automatic prefix cache
    end_users: int  # distinct end users (0: the feature runs without one)


FEATURES = (
    Feature("chat_assistant", 0.34, (("openai", "gpt-5.4", 0.75), ("anthropic", "claude-sonnet-4-5", 0.25)),
            Size(520, 500, 20, 16000), Size(380, 350, 1, 2048), 120, 2048, 350.0, 18.0,
            0.08, 400, EVENINGS, 0.015, 0.4, 400),
    Feature("code_completion", 0.28, (("mistral", "codestral-latest", 1.0),),
            Size(2200, 1200, 300, 8000), Size(24, 20, 1, 128), 0, 128, 120.0, 6.0,
            0.06, 300, OFFICE, 0.005, 0.0, 150),
    Feature("summarisation", 0.12, (("gemini", "gemini-2.5-flash", 1.0),),
            Size(6000, 4000, 800, 30000), Size(260, 110, 60, 600), 90, 800, 1500.0, 25.0,
            0.12, 200, NIGHTLY, 0.02, 0.0, 0),
    Feature("classification", 0.18, (("openai", "gpt-4.1-nano", 1.0),),
            Size(260, 70, 150, 420), Size(3, 1.5, 1, 6), 150, 1024, 180.0, 20.0,
            0.45, 500, OFFICE, 0.005, 0.0, 0),
    Feature("support_agent", 0.08, (("anthropic", "claude-sonnet-4-5", 1.0),),
            Size(900, 700, 60, 12000), Size(250, 200, 20, 1500), 1850, 4096, 2500.0, 30.0,
            0.2, 150, OFFICE, 0.03, 0.0, 250),
)
