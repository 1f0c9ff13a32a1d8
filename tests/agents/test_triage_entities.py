"""What triage extracts from a question: catalog models, providers, features, budgets, percentages, typos."""
from __future__ import annotations

import pytest

from shared.agents.pipeline.events import Emitter
from shared.agents.triage.agent import triage
from shared.agents.triage.entities import (
    find_budget,
    find_features,
    find_models,
    find_percentage,
    find_providers,
)
from shared.agents.triage.spelling import correct_typos, one_edit_apart
from shared.pricing import catalog
from tests.agents.triage_questions import NOW


@pytest.mark.parametrize("text,models", [
    ("what does gpt-4o cost", ["gpt-4o"]),
    ("GPT 4o mini usage", ["gpt-4o-mini"]),
    ("gpt4o vs gpt-4o-mini", ["gpt-4o", "gpt-4o-mini"]),
    ("claude sonnet 4.5 and sonnet 4.5 again", ["claude-sonnet-4-5"]),
    ("haiku 4.5 for tagging", ["claude-haiku-4-5"]),
    ("gemini 2.5 flash", ["gemini/gemini-2.5-flash"]),
    ("gemini 2.5 flash-lite", ["gemini/gemini-2.5-flash-lite"]),
    ("mistral large for support", ["mistral/mistral-large-latest"]),
    ("deepseek chat", ["deepseek-chat"]),
    ("o3-mini and o3", ["o3-mini", "o3"]),
    ("gpt-4.1 and gpt 4.1 nano", ["gpt-4.1", "gpt-4.1-nano"]),
    ("the dated gpt-4o-2024-08-06 snapshot", ["gpt-4o-2024-08-06"]),
    ("gpt-4x is not a model, nor is foo1", []),
    ("a haiku about the sea", []),
    ("we chat a lot", []),
])
def test_models_are_matched_against_the_catalog(text, models):
    found = [m.value for m in find_models(text.lower())]
    assert found == models
    for name in found:
        assert catalog().lookup(name) is not None


def test_model_mentions_keep_their_words_and_spans():
    text = "switch gpt 4o mini to claude sonnet 4.5"
    first, second = find_models(text)
    assert (first.value, first.phrase, text[first.start:first.end]) == ("gpt-4o-mini", "gpt 4o mini", "gpt 4o mini")
    assert (second.value, second.phrase) == ("claude-sonnet-4-5", "claude sonnet 4.5")


@pytest.mark.parametrize("text,providers", [
    ("openai vs anthropic", ["openai", "anthropic"]),
    ("Open AI and Google", ["openai", "gemini"]),
    ("our claude spend", ["anthropic"]),
    ("grok from xai", ["xai"]),
    ("mistral, deepseek and groq", ["mistral", "deepseek", "groq"]),
    ("nothing here", []),
])
def test_provider_words(text, providers):
    assert [p.value for p in find_providers(text.lower())] == providers


def test_provider_words_inside_a_model_name_are_not_counted_twice():
    text = "claude sonnet 4.5"
    spans = [(m.start, m.end) for m in find_models(text)]
    assert find_providers(text, spans) == []
    result = triage("how much did claude sonnet 4.5 and gemini 2.5 pro cost", emitter=Emitter(), now=NOW)
    assert result.entities["models"] == ["claude-sonnet-4-5", "gemini/gemini-2.5-pro"]
    assert result.entities["providers"] == ["anthropic", "gemini"]


@pytest.mark.parametrize("text,tags,features", [
    ("latency of the chat feature", (), ["chat"]),
    ("cost of our support bot feature", (), ["support bot"]),
    ("cost of our support bot feature", ("support-bot", "chat"), ["support-bot"]),
    ("what does feature `summarize` cost", (), ["summarize"]),
    ("filter feature=search", (), ["search"]),
    ("Support_Bot spend", ("support-bot",), ["support-bot"]),
    ("which feature costs the most", (), []),
    ("the most expensive feature", (), []),
    ("per feature please", ("chat",), []),
])
def test_features_from_the_users_tags_and_from_phrases(text, tags, features):
    assert [f.value for f in find_features(text.lower(), tags)] == features


@pytest.mark.parametrize("text,budget", [
    ("get spend under $500/month", 500.0),
    ("a budget of 2k", 2000.0),
    ("budget: $1,200 a month", 1200.0),
    ("keep it below 300 dollars per month", 300.0),
    ("a spending cap of $50 per day", 1500.0),
    ("$6,000 per year budget", 500.0),
    ("bill under 5k per month", 5000.0),
    ("target: $1.5k", 1500.0),
    ("we spent $500 last month", None),
    ("under 200 tokens per request", None),
    ("cut costs by 30%", None),
])
def test_budgets_are_monthly_dollars(text, budget):
    found = find_budget(text)
    assert (float(found.value) if found else None) == budget


@pytest.mark.parametrize("text,percentage", [
    ("cut 30%", 30.0),
    ("reduce costs by 20 percent", 20.0),
    ("save 12.5% on gpt-4o", 12.5),
    ("we want 40% cheaper", 40.0),
    ("cut the bill in half", 50.0),
    ("gpt-4o is 40% of our spend", None),
    ("95% of requests succeed", None),
    ("cut 300%", None),
])
def test_percentage_targets(text, percentage):
    found = find_percentage(text)
    assert (float(found.value) if found else None) == percentage


@pytest.mark.parametrize("written,read", [
    ("lantency", "latency"), ("optimze", "optimize"), ("batchign", "batching"), ("cachng", "caching"),
    ("trnd", "trend"), ("expensve", "expensive"),
])
def test_typos_are_read_as_the_word_meant(written, read):
    text, corrections = correct_typos(f"the {written} please")
    assert text == f"the {read} please"
    assert corrections == [(written, read)]


@pytest.mark.parametrize("word", ["patching", "catching", "matching", "costs", "cost", "features", "spent"])
def test_real_words_are_left_alone(word):
    assert correct_typos(word) == (word, [])


def test_one_edit_apart():
    assert one_edit_apart("latncy", "latency") and one_edit_apart("laetncy", "latency")
    assert one_edit_apart("latencyy", "latency") and one_edit_apart("latenxy", "latency")
    assert not one_edit_apart("latency", "latency") and not one_edit_apart("ltncy", "latency")
    assert not one_edit_apart("altency", "latencies")
