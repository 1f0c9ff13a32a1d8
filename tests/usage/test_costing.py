"""Finishing a checked row into a record: the cross-field token rule, the provider, and the cost with its source.

No database: ``finish`` and ``Pricer`` are pure, so each rule is pinned with exact figures from the catalog.
"""
from __future__ import annotations

from datetime import datetime

import pytest

from shared.db.money import to_nanos
from shared.pricing import Catalog, catalog, cost_usd
from shared.usage.costing import COMPUTED, REPORTED, UNPRICED, Pricer, finish
from shared.usage.records import Record, RowCheck

WHEN = datetime(2026, 11, 1, 8)
TOO_MANY = "cached and cache-write tokens exceed prompt_tokens"


def _finish(pricer: Pricer | None = None, check: RowCheck | None = None, **values) -> tuple[Record | None, RowCheck]:
    check = check or RowCheck()
    fields = {"request_id": "r-1", "timestamp": WHEN, "provider": "openai", "model": "gpt-4o", "feature": "chat",
              "prompt_tokens": 1000, "completion_tokens": 100, **values}
    return finish(check, pricer or Pricer(), "tokenwise", **fields), check


@pytest.mark.parametrize(("cached", "written", "field"), [
    (1001, 0, "cached_tokens"),
    (0, 1001, "cache_write_tokens"),
    (600, 401, "cache_write_tokens"),   # each fits alone, together they do not
    (1001, 1001, "cached_tokens"),
    (1000, 1, "cache_write_tokens"),    # cached alone fills the prompt: the write is what overflows
])
def test_cached_and_cache_write_tokens_together_must_fit_in_the_prompt(cached, written, field):
    record, check = _finish(cached_tokens=cached, cache_write_tokens=written)
    assert record is None
    assert check.problems == [(field, TOO_MANY)]


def test_cached_and_cache_write_tokens_that_fill_the_prompt_exactly_are_accepted():
    record, check = _finish(cached_tokens=600, cache_write_tokens=400)
    assert check.problems == [] and record is not None
    assert (record.cached_tokens, record.cache_write_tokens, record.prompt_tokens) == (600, 400, 1000)


def test_a_row_with_problems_is_not_finished_and_gets_no_more_problems():
    check = RowCheck()
    check.fail("model", "is required")
    pricer = Pricer()
    record, _ = _finish(pricer, check, cached_tokens=5000)
    assert record is None and check.problems == [("model", "is required")]
    assert sum(pricer.sources.values()) == 0


def test_every_field_reaches_the_record():
    record, _ = _finish(cost=0.25, latency_ms=812.6, status="error", is_batch=True, max_tokens=512,
                        prompt_hash="h1", end_user="team-a", request_count=3, cached_tokens=10, cache_write_tokens=20)
    assert record == Record("r-1", WHEN, "openai", "gpt-4o", "chat", 1000, 100, 10, 20, 813, "error", 0.25,
                            REPORTED, True, 512, "h1", "team-a", 3, "tokenwise")


def test_defaults_of_an_optional_field_left_out():
    record, _ = _finish(cost=0.5)
    assert record == Record("r-1", WHEN, "openai", "gpt-4o", "chat", 1000, 100, 0, 0, None, "success", 0.5,
                            REPORTED, False, None, None, None, 1, "tokenwise")


def test_latency_is_rounded_to_whole_milliseconds():
    assert _finish(latency_ms=812.4)[0].latency_ms == 812
    assert _finish(latency_ms=0.0)[0].latency_ms == 0


def test_a_reported_cost_is_kept_even_for_a_known_model():
    pricer = Pricer()
    assert pricer.cost("gpt-4o", "openai", 0.0, 1000, 100, 0, 0, False) == (0.0, REPORTED)
    assert pricer.cost("mystery-llm", "acme", 1.5, 1000, 100, 0, 0, False) == (1.5, REPORTED)
    assert pricer.sources == {REPORTED: 2} and pricer.unpriced_models == {}


def test_an_empty_cost_is_priced_from_the_catalog_with_cache_and_batch_rates():
    price = catalog().lookup("claude-haiku-4-5", "anthropic")
    pricer = Pricer()
    plain = pricer.cost("claude-haiku-4-5", "anthropic", None, 2000, 300, 0, 0, False)
    cached = pricer.cost("claude-haiku-4-5", "anthropic", None, 2000, 300, 1024, 512, False)
    batch = pricer.cost("claude-haiku-4-5", "anthropic", None, 2000, 300, 0, 0, True)
    assert plain == (pytest.approx(2000 * 1e-6 + 300 * 5e-6, abs=1e-15), COMPUTED)
    assert cached == (pytest.approx(464 * 1e-6 + 1024 * 1e-7 + 512 * 1.25e-6 + 300 * 5e-6, abs=1e-15), COMPUTED)
    assert batch == (pytest.approx(2000 * 5e-7 + 300 * 2.5e-6, abs=1e-15), COMPUTED)
    assert cached[0] == float(to_nanos(cost_usd(price, 2000, 300, 1024, 512, False)))  # stored to the nano-dollar
    assert pricer.sources == {COMPUTED: 3}


def test_an_unknown_model_without_a_cost_stays_unpriced_and_is_counted():
    pricer = Pricer()
    assert pricer.cost("mystery-llm", "acme", None, 1000, 100, 0, 0, False) == (None, UNPRICED)
    assert pricer.cost("mystery-llm", "acme", None, 5, 5, 0, 0, False) == (None, UNPRICED)
    assert pricer.cost("other-llm", "acme", None, 5, 5, 0, 0, False) == (None, UNPRICED)
    assert pricer.sources == {UNPRICED: 3}
    assert pricer.unpriced_models == {"mystery-llm": 2, "other-llm": 1}
    record, _ = _finish(pricer, model="mystery-llm", provider="acme")
    assert (record.cost_usd, record.cost_source) == (None, UNPRICED)


@pytest.mark.parametrize(("model", "given", "provider"), [
    ("gpt-4o", "OpenAI", "openai"),                 # as given, lower-cased
    ("gpt-4o", "acme", "acme"),                     # as given even when the catalog says otherwise
    ("claude-haiku-4-5", None, "anthropic"),        # the catalog's
    ("claude-haiku-4-5", "", "anthropic"),
    ("Acme/Turbo-1/v2", None, "acme"),              # the prefix of a model the catalog does not know
    ("mystery-llm", None, "unknown"),
])
def test_the_provider_as_given_else_the_catalogs_else_the_models_prefix(model, given, provider):
    assert Pricer().provider_for(model, given) == provider
    record, _ = _finish(model=model, provider=given, cost=1.0)
    assert record.provider == provider


class _CountingCatalog(Catalog):
    def __init__(self) -> None:
        super().__init__({"house-model": {"litellm_provider": "acme", "input_cost_per_token": 1e-6,
                                          "output_cost_per_token": 2e-6}})
        self.lookups: list[tuple[str, str | None]] = []

    def lookup(self, model, provider=None):
        self.lookups.append((model, provider))
        return super().lookup(model, provider)


def test_a_given_catalog_is_used_and_each_model_is_looked_up_once():
    prices = _CountingCatalog()
    pricer = Pricer(prices)
    assert pricer.catalog is prices
    for _ in range(3):
        assert pricer.cost("house-model", "acme", None, 1000, 500, 0, 0, False) == (
            pytest.approx(1000 * 1e-6 + 500 * 2e-6, abs=1e-15), COMPUTED)
    assert pricer.cost("gpt-4o", "openai", None, 1000, 100, 0, 0, False) == (None, UNPRICED)
    assert pricer.cost("gpt-4o", "openai", None, 1000, 100, 0, 0, False) == (None, UNPRICED)
    assert pricer.provider_for("house-model", None) == "acme"
    assert prices.lookups == [("house-model", "acme"), ("gpt-4o", "openai"), ("house-model", None)]
    assert pricer.lookup("house-model", "acme") is pricer.lookup("house-model", "acme")
    assert len(prices.lookups) == 3


def test_the_default_catalog_is_the_shipped_one():
    assert Pricer().catalog is catalog()


def test_a_model_the_catalog_names_under_its_provider_is_priced_with_that_provider():
    record, _ = _finish(model="mistral-large-3", provider="Mistral")
    assert (record.provider, record.cost_source) == ("mistral", COMPUTED)
    assert record.cost_usd == pytest.approx(1000 * 5e-7 + 100 * 1.5e-6, abs=1e-15)
