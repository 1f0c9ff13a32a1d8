"""The mutation score of the last ``mutmut run``: ``python -m tests.support.mutation_score``.

Reads mutmut's per-file results (``mutants/<source>.meta``, written by mutmut 3.x) and prints,
per mutated file and overall, the mutants killed over those tested and the percentage. A mutant
that timed out counts as killed (the tests noticed it), as mutmut's own badge counts it; one no
test reaches counts against the score; one never checked (an interrupted run) is left out and
reported; one marked ``pragma: no mutate`` is left out. Exits 1 when nothing has been run yet or
the overall score is under ``--fail-under``.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

KILLED_CODES = frozenset({1, 3})  # pytest failed, or failed inside pytest
TIMEOUT_CODES = frozenset({36, 24, -24, 152, 255})
SKIPPED = 34  # marked "pragma: no mutate"
NOT_CHECKED = None


@dataclass
class Score:
    killed: int = 0
    tested: int = 0
    unchecked: int = 0

    def add(self, exit_code: int | None) -> None:
        if exit_code is NOT_CHECKED:
            self.unchecked += 1
            return
        if exit_code == SKIPPED:
            return
        self.tested += 1
        if exit_code in KILLED_CODES or exit_code in TIMEOUT_CODES:
            self.killed += 1

    @property
    def percent(self) -> float:
        return 100.0 * self.killed / self.tested if self.tested else 0.0

    def line(self, name: str) -> str:
        text = f"{name:<45} {self.killed:>5} / {self.tested:<5} {self.percent:6.1f}%"
        return text + (f"  ({self.unchecked} not checked)" if self.unchecked else "")


def scores(root: Path) -> dict[str, Score]:
    """Per source file (as mutmut names it, e.g. ``shared/usage/costing.py``), its score."""
    found: dict[str, Score] = {}
    for meta in sorted(root.rglob("*.py.meta")):
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        if not codes:
            continue
        score = found.setdefault(meta.relative_to(root).as_posix().removesuffix(".meta"), Score())
        for code in codes.values():
            score.add(code)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mutants", type=Path, default=Path("mutants"), help="mutmut's work folder")
    parser.add_argument("--fail-under", type=float, default=0.0, help="exit 1 below this overall percentage")
    args = parser.parse_args(argv)
    by_file = scores(args.mutants)
    if not by_file:
        print(f"No mutmut results under {args.mutants}/: run `mutmut run` first.", file=sys.stderr)
        return 1
    overall = Score()
    for name, score in by_file.items():
        print(score.line(name))
        overall.killed += score.killed
        overall.tested += score.tested
        overall.unchecked += score.unchecked
    print(overall.line("overall"))
    return 1 if overall.percent < args.fail_under else 0


if __name__ == "__main__":
    sys.exit(main())
