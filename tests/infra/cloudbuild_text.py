"""Reading a Cloud Build config the way Cloud Build does, for the tests: JSON after comment
lines, ``$VAR``/``${VAR}`` substitutions, ``$$`` for a literal dollar."""
from __future__ import annotations

import json
import re

BUILT_IN = frozenset({"PROJECT_ID", "PROJECT_NUMBER", "BUILD_ID", "LOCATION", "TRIGGER_NAME", "COMMIT_SHA",
                      "REVISION_ID", "SHORT_SHA", "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME",
                      "REF_NAME", "TRIGGER_BUILD_CONFIG_PATH", "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT"})
_REF = re.compile(r"\$(?:\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*)|(?P<bad>[^$]|$))")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def parse(text: str) -> dict:
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    return json.loads(body)


def strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return []


def references(text: str) -> list[str]:
    """Every substitution a string uses; a malformed one is returned as '<malformed ...>'."""
    found = []
    for match in _REF.finditer(text.replace("$$", "")):
        name = match.group("braced") if match.group("braced") is not None else match.group("bare")
        if name is None or not _NAME.fullmatch(name):
            found.append(f"<malformed {match.group(0)!r}>")
        else:
            found.append(name)
    return found


def undefined(config: dict) -> list[str]:
    defined = set(config.get("substitutions", {})) | BUILT_IN
    used = [ref for s in strings(config["steps"]) + strings(config.get("substitutions", {}))
            for ref in references(s)]
    return sorted({ref for ref in used if ref not in defined})


def substitute(text: str, values: dict[str, str]) -> str:
    """What Cloud Build runs: substitutions filled, ``$$`` turned into ``$``."""
    def one(match: re.Match) -> str:
        name = match.group("braced") if match.group("braced") is not None else match.group("bare")
        return values[name]
    parts = text.split("$$")
    return "$".join(_REF.sub(one, part) for part in parts)
