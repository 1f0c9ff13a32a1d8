"""The demo generator is deterministic and realistic; the loader and the CLI store exactly what it yields."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from shared.auth.accounts import find_user_by_email
from shared.auth.passwords import verify_password
from shared.db import transaction
from shared.demo import DEMO_PASSWORD, generate_rows, load_demo
from shared.demo.shapes import FEATURES
from shared.pricing import catalog
from shared.usage import Pricer, summarize
from shared.usage.formats import tokenwise
from shared.usage.records import RowCheck
from tests.support.identity import unique_email
from tests.support.usage_import import post_import
from tests.support.users import create_user
from tests.usage.test_import_formats import stored

ROOT = Path(__file__).resolve().parents[2]
END = datetime(2026, 11, 29, 12, 0, 0)
START = END - timedelta(days=30)


@pytest.fixture(scope="module")
def demo_rows() -> list[dict]:
    return list(generate_rows(20_000, 7, END, 30))


def by_feature(rows: list[dict], name: str, successes_only: bool = True) -> list[dict]:
    return [r for r in rows if r["feature"] == name and (r["status"] == "success" or not successes_only)]


def test_same_arguments_give_the_same_rows_and_a_longer_run_extends_a_shorter_one(demo_rows):
    assert list(generate_rows(2000, 7, END, 30)) == demo_rows[:2000]
    other_seed = list(generate_rows(2000, 8, END, 30))
    assert other_seed != demo_rows[:2000]
    assert [r["request_id"] for r in demo_rows[:3]] == ["demo-7-00000000", "demo-7-00000001", "demo-7-00000002"]


def test_rows_fall_in_the_window_and_pass_the_import_checks(demo_rows):
    pricer = Pricer()
    for row in demo_rows:
        assert START <= datetime.fromisoformat(row["timestamp"]) < END
        check = RowCheck()
        assert tokenwise.parse(row, check, pricer) is not None, check.problems
    assert dict(pricer.sources) == {"computed": len(demo_rows)}


def test_features_models_providers_errors_and_a_deprecated_model(demo_rows):
    assert {r["feature"] for r in demo_rows} == {f.name for f in FEATURES}
    assert len({r["provider"] for r in demo_rows}) >= 4
    models = {(r["provider"], r["model"]) for r in demo_rows}
    deprecated = [m for p, m in models if catalog().lookup(m, p).is_deprecated(END.date())]
    assert deprecated == ["gpt-4.1-nano"]
    errors = [r for r in demo_rows if r["status"] == "error"]
    assert 0.005 < len(errors) / len(demo_rows) < 0.03
    assert all(r["completion_tokens"] == 0 and r["prompt_tokens"] == 0 for r in errors)


def test_chat_turns_are_long_tailed_hundreds_of_tokens(demo_rows):
    chat = by_feature(demo_rows, "chat_assistant")
    completions = [r["completion_tokens"] for r in chat]
    prompts = [r["prompt_tokens"] for r in chat]
    assert 260 <= statistics.mean(completions) <= 730 and 260 <= statistics.mean(prompts) <= 730
    assert statistics.pstdev(completions) >= 0.6 * statistics.mean(completions)
    assert max(completions) > 5 * statistics.median(completions)
    cached = [r for r in chat if r["cached_tokens"]]
    assert cached and all(r["cached_tokens"] >= 1024 and r["cached_tokens"] % 128 == 0 for r in cached)


def test_code_completion_is_prompt_heavy_with_tiny_outputs(demo_rows):
    code = by_feature(demo_rows, "code_completion")
    assert statistics.median(r["prompt_tokens"] / r["completion_tokens"] for r in code) >= 30
    assert max(r["completion_tokens"] for r in code) <= 128
    assert statistics.median(r["latency_ms"] for r in code) < 600


def test_summarisation_runs_in_nightly_bursts_and_tolerates_latency(demo_rows):
    summaries = by_feature(demo_rows, "summarisation")
    nightly = sum(1 for r in summaries if datetime.fromisoformat(r["timestamp"]).hour <= 4)
    assert nightly / len(summaries) >= 0.6
    assert statistics.median(r["latency_ms"] for r in summaries) >= 3000


def test_classification_has_tiny_outputs_far_below_max_tokens_and_zipf_repeats(demo_rows):
    labels = by_feature(demo_rows, "classification")
    assert max(r["completion_tokens"] for r in labels) <= 6
    assert {r["max_tokens"] for r in labels} == {1024}
    counts = Counter(r["prompt_hash"] for r in labels)
    repeated = sum(n for n in counts.values() if n > 1)
    assert repeated / len(labels) >= 0.4
    ranked = [n for _, n in counts.most_common()]
    assert ranked[0] >= 5 * ranked[19]
    same_prompt = [r["prompt_tokens"] for r in labels if r["prompt_hash"] == counts.most_common(1)[0][0]]
    assert len(set(same_prompt)) == 1  # a repeated prompt has the same size each time


def test_agent_sends_a_long_system_prompt_every_time(demo_rows):
    agent = by_feature(demo_rows, "support_agent")
    assert min(r["prompt_tokens"] for r in agent) >= 1850 + 60
    assert all(r["cached_tokens"] == 0 for r in agent)


def test_load_demo_stores_every_row_once(database):
    user = create_user("demo")
    first = load_demo(user.id, rows=3000, seed=7, end=END)
    assert (first["rows"], first["imported"], first["duplicates"], first["deleted"]) == (3000, 3000, 0, 0)
    again = load_demo(user.id, rows=3000, seed=7, end=END)
    assert (again["imported"], again["duplicates"]) == (0, 3000)
    replaced = load_demo(user.id, rows=1000, seed=7, end=END, replace=True)
    assert (replaced["deleted"], replaced["imported"]) == (3000, 1000)
    records = stored(user.id)
    assert {r["source_format"] for r in records.values()} == {"demo"}
    pricer, expected_cost = Pricer(), 0.0
    for row in generate_rows(1000, 7, END, 30):
        expected_cost += tokenwise.parse(row, RowCheck(), pricer).cost_usd
    with transaction() as conn:
        totals = summarize(conn, user.id)["totals"]
    assert totals["requests"] == 1000 and totals["unpriced_requests"] == 0
    assert totals["cost_usd"] == pytest.approx(expected_cost, rel=1e-9)


def _run_cli(*args: str, env: dict[str, str] | None = None) -> dict:
    result = subprocess.run([sys.executable, "-m", "shared.demo", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("fmt, content_type", [("jsonl", "application/x-ndjson"), ("csv", "text/csv")])
def test_cli_file_imports_row_for_row(client, make_user, tmp_path, fmt, content_type):
    path = tmp_path / f"demo.{fmt}"
    out = _run_cli("--rows", "700", "--seed", "3", "--end", END.isoformat(), "--out", str(path), "--format", fmt)
    assert out["written"] == 700
    result = post_import(client, make_user(), path.read_bytes(), content_type).get_json()
    assert (result["imported"], result["rejected"], result["format"]) == (700, 0, "tokenwise")


def test_cli_creates_the_demo_user_with_the_documented_password(database):
    email = unique_email("demo")
    args = ("--user-email", email, "--rows", "400", "--seed", "7", "--end", END.isoformat())
    first = _run_cli(*args, env=database.env())
    assert (first["user_created"], first["imported"], first["rows"]) == (True, 400, 400)
    second = _run_cli(*args, env=database.env())
    assert (second["user_created"], second["user_id"], second["duplicates"]) == (False, first["user_id"], 400)
    with transaction() as conn:
        user = find_user_by_email(conn, email)
    assert user.id == first["user_id"] and verify_password(user.password_hash, DEMO_PASSWORD)
    assert len(stored(user.id)) == 400
