"""Typo repair towards triage's lexicon: a word one edit away from a lexicon word is read as that word.

One edit is an insertion, a deletion, a substitution or a swap of two neighbouring letters
("lantency", "optimze", "batchign"). Only words of at least 4 letters sharing the first letter
with a lexicon word of at least 5 are considered, and words listed in ``NOT_TYPOS`` stay as written,
so that real words ("patching", "catching") are not bent into domain terms.
"""
from __future__ import annotations

import re
from functools import lru_cache

from shared.agents.triage.vocabulary import LEXICON, NOT_TYPOS


def one_edit_apart(a: str, b: str) -> bool:
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], tuple[str, ...]]:
    words = tuple(sorted({w for w in LEXICON if len(w) >= 5}))
    return frozenset(LEXICON), words


@lru_cache(maxsize=4096)
def _repair(word: str) -> str | None:
    known, candidates = _lexicon()
    if len(word) < 4 or word in known or word in NOT_TYPOS:
        return None
    if word + "s" in known or word.endswith("s") and word[:-1] in known:
        return None  # a plural or singular of a known word is not a typo
    matches = [c for c in candidates if c[0] == word[0] and one_edit_apart(word, c)]
    return matches[0] if len(matches) == 1 else None


def correct_typos(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The text with repaired words, and the (written, read as) pairs."""
    corrections: list[tuple[str, str]] = []

    def replace(m: re.Match) -> str:
        fixed = _repair(m[0])
        if fixed is None:
            return m[0]
        corrections.append((m[0], fixed))
        return fixed

    return re.sub(r"[a-z]+", replace, text), corrections
