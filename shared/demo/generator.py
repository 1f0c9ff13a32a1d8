"""Deterministic demo usage rows: the same ``(rows, seed, end, days)`` always gives the same rows.

``generate_rows(rows, seed, end, days)`` lazily yields dicts in our import
format (``shared.usage.formats.tokenwise``, with the optional ``max_tokens``,
``is_batch``, ``cache_write_tokens`` and ``end_user`` columns), spread over the
``days`` ending at ``end`` (exclusive). Costs are left empty so that they are
priced from the catalog like any log without costs. One ``random.Random(seed)``
drives everything, so the first N rows of a larger run equal a run of N rows.
Errors carry no tokens (providers do not bill failed calls) and
``status = "error"``.
"""
from __future__ import annotations

import hashlib
import random
from bisect import bisect
from collections.abc import Iterator
from datetime import datetime, timedelta
from itertools import accumulate

from shared.clock import utcnow
from shared.demo.shapes import FEATURES, WEEKEND_FACTOR, ZIPF_EXPONENT, Feature

PROMPT_CACHE_MIN = 1024
PROMPT_CACHE_STEP = 128


class _FeatureDraw:
    """Precomputed tables for drawing one feature's requests quickly."""

    def __init__(self, feature: Feature, seed: int):
        self.feature = feature
        self.model_cum = list(accumulate(share for _, _, share in feature.models))
        self.prompt_mu, self.prompt_sigma = feature.prompt.mu_sigma
        self.completion_mu, self.completion_sigma = feature.completion.mu_sigma
        self.zipf_cum = list(accumulate(1.0 / (k ** ZIPF_EXPONENT) for k in range(1, feature.prompt_pool + 1)))
        pool_rng = random.Random(f"{seed}:{feature.name}:pool")
        # A repeated prompt is the same text each time: the same hash and the same size.
        self.pool = [(hashlib.sha256(f"{seed}:{feature.name}:{k}".encode()).hexdigest()[:32],
                      self._clip(pool_rng.lognormvariate(self.prompt_mu, self.prompt_sigma), feature.prompt))
                     for k in range(feature.prompt_pool)]
        top = max(feature.hours)
        self.hour_accept = [h / top for h in feature.hours]

    @staticmethod
    def _clip(value: float, size) -> int:
        return max(size.low, min(size.high, int(round(value))))


def _when(rng: random.Random, draw: _FeatureDraw, start: datetime, span_s: float) -> datetime:
    """A time in the window, by rejection sampling on the feature's hour and weekday weights."""
    while True:
        moment = start + timedelta(seconds=rng.random() * span_s)
        accept = draw.hour_accept[moment.hour] * (WEEKEND_FACTOR if moment.weekday() >= 5 else 1.0)
        if rng.random() < accept:
            return moment.replace(microsecond=(moment.microsecond // 1000) * 1000)


def generate_rows(rows: int, seed: int = 7, end: datetime | None = None, days: int = 30) -> Iterator[dict]:
    """``rows`` demo rows, lazily; ``end`` defaults to now (UTC, naive), to the second."""
    if end is None:
        end = utcnow().replace(microsecond=0)
    start = end - timedelta(days=days)
    span_s = (end - start).total_seconds()
    rng = random.Random(seed)
    draws = [_FeatureDraw(feature, seed) for feature in FEATURES]
    feature_cum = list(accumulate(feature.weight for feature in FEATURES))
    for index in range(rows):
        draw = draws[bisect(feature_cum, rng.random() * feature_cum[-1])]
        feature = draw.feature
        provider, model, _ = feature.models[bisect(draw.model_cum, rng.random() * draw.model_cum[-1])]
        if rng.random() < feature.repeat_share:
            k = bisect(draw.zipf_cum, rng.random() * draw.zipf_cum[-1])
            prompt_hash, variable = draw.pool[k]
        else:
            prompt_hash = f"{rng.getrandbits(128):032x}"
            variable = draw._clip(rng.lognormvariate(draw.prompt_mu, draw.prompt_sigma), feature.prompt)
        prompt = feature.system_tokens + variable
        completion = draw._clip(rng.lognormvariate(draw.completion_mu, draw.completion_sigma),
                                feature.completion)
        cached = 0
        if feature.cached_share and prompt >= PROMPT_CACHE_MIN and rng.random() < feature.cached_share:
            # the earlier turns are the cached prefix, counted in the provider's 128-token steps
            prefix = prompt - variable // 2
            cached = (prefix // PROMPT_CACHE_STEP) * PROMPT_CACHE_STEP if prefix >= PROMPT_CACHE_MIN else 0
        latency = (feature.latency_base_ms + completion * feature.latency_per_output_ms) * (0.7 + 0.6 * rng.random())
        status = "success"
        if rng.random() < feature.error_rate:
            status, prompt, completion, cached = "error", 0, 0, 0
            latency = 30000.0 if rng.random() < 0.3 else 200.0 + 300.0 * rng.random()
        end_user = f"user-{rng.randrange(feature.end_users):04d}" if feature.end_users else None
        yield {
            "request_id": f"demo-{seed}-{index:08d}",
            "timestamp": _when(rng, draw, start, span_s).isoformat(timespec="milliseconds"),
            "provider": provider,
            "model": model,
            "feature": feature.name,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "cached_tokens": cached,
            "latency_ms": int(round(latency)),
            "status": status,
            "cost_usd": None,
            "prompt_hash": prompt_hash,
            "max_tokens": feature.max_tokens,
            "is_batch": False,
            "cache_write_tokens": 0,
            "end_user": end_user,
        }
