"""The cold-start bench: a real functions-framework process, every manifest function covered, exact figures."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench.cold_bench import HEALTH_TARGET, subjects, summarise
from bench.function_server import HELLO_SOURCE, function_server
from infra import manifest
from infra.manifest import ROOT

pytestmark = pytest.mark.slow


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_a_function_server_answers_then_is_reaped():
    with function_server("hello", HELLO_SOURCE, _env()) as server:
        ready_s = server.wait_ready("/")
        assert 0 < ready_s < 30
        assert server.request("GET", "/") == (200, b"hello")
        assert server.cpu_s() > 0
    assert server.process.returncode is not None


def test_a_function_that_cannot_start_says_why():
    with function_server("no_such_function", HELLO_SOURCE, _env()) as server:
        with pytest.raises(RuntimeError, match=r"(?s)no_such_function exited: .*MissingTargetException: .* named .no_such_function."):
            server.wait_ready("/", timeout_s=30)


def test_every_function_unit_of_the_manifest_is_benched_after_hello():
    found = subjects("TOKEN")
    units = manifest.functions()
    assert [s.name for s in found] == ["hello", *(unit.name for unit in units)]
    assert (found[0].target, found[0].source, found[0].health) == ("hello", HELLO_SOURCE, "/")
    for subject, unit in zip(found[1:], units, strict=True):
        assert (subject.target, subject.source, subject.health) == (unit.entry_point, "main.py", unit.health)
        if unit.name.startswith("agents_"):
            assert (subject.method, subject.path) == ("POST", unit.paths[0])
            assert subject.headers["Authorization"] == "Bearer TOKEN"
            assert set(json.loads(subject.body)) == {"message"}
    by_name = {s.name: s for s in found}
    assert (by_name["auth"].method, by_name["auth"].path) == ("POST", "/auth/validate")
    assert json.loads(by_name["auth"].body) == {"token": "TOKEN"}
    assert (by_name["usage"].method, by_name["usage"].path) == ("GET", "/api/usage/summary")


def _start(health_s: float, answer_s: float, health_cpu_s: float | None = 0.2, answer_cpu_s: float | None = 0.3):
    return {"health_s": health_s, "answer_s": answer_s, "health_cpu_s": health_cpu_s, "answer_cpu_s": answer_cpu_s}


def test_medians_and_ratios_against_hello():
    figures = summarise({
        "hello": [_start(0.2, 0.21), _start(0.3, 0.31), _start(0.1, 0.11)],
        "unit": [_start(0.26, 0.5, 0.3, 0.6), _start(0.9, 1.2, 0.3, 0.6), _start(0.25, 0.4, 0.3, 0.6)],
    })
    hello, unit = figures["hello"], figures["unit"]
    assert hello["health_ms"] == pytest.approx(200) and hello["health_ratio"] == 1.0
    assert unit["health_ms"] == pytest.approx(260) and unit["health_ratio"] == 1.3
    assert unit["answer_ms"] == pytest.approx(500) and unit["answer_ratio"] == pytest.approx(2.381, abs=1e-3)
    assert unit["after_health_ms"] == pytest.approx(240)
    assert unit["health_cpu_ratio"] == 1.5 and unit["answer_cpu_ratio"] == 2.0
    assert unit["health_target_met"] is True and HEALTH_TARGET == 1.3
    assert unit["samples_ms"] == {"health": [260, 900, 250], "answer": [500, 1200, 400]}
    slower = summarise({"hello": [_start(0.2, 0.21)], "unit": [_start(0.27, 0.3)]})
    assert slower["unit"]["health_target_met"] is False


def test_cpu_figures_are_left_out_without_proc():
    figures = summarise({"hello": [_start(0.2, 0.21, None, None)], "unit": [_start(0.2, 0.3, None, None)]})
    assert figures["unit"]["health_cpu_ms"] is None and "health_cpu_ratio" not in figures["unit"]


def test_the_bench_is_wired_into_make():
    makefile = (ROOT / "Makefile").read_text()
    assert "bench-cold: $(STAMP)\n\t$(BIN)/python -m bench.cold_bench " in makefile
    assert Path(ROOT / "bench" / "cold_bench.py").is_file()
