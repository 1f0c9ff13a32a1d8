"""The import formats and how one is chosen.

``FORMATS`` maps a name (``tokenwise``, ``litellm``, ``openai``) to its module.
Each module has ``NAME``, ``REQUIRED`` and ``OPTIONAL`` columns,
``REFUSES_UNKNOWN_COLUMNS``, ``detect(columns)``, ``expand(obj)`` (one line
may hold several records) and ``parse(row, check, pricer) -> Record | None``.
``choose(requested, columns)`` picks the format named by ``?format=`` or
detects it from the CSV header / the first JSON line, and checks the columns.
"""
from __future__ import annotations

from types import ModuleType

from shared.errors import Unprocessable
from shared.usage.formats import litellm, openai_usage, tokenwise

FORMATS: dict[str, ModuleType] = {"tokenwise": tokenwise, "litellm": litellm, "openai": openai_usage}
# LiteLLM rows also carry request_id and prompt_tokens: test the more specific formats first.
DETECTION_ORDER = (litellm, openai_usage, tokenwise)


class ImportRejected(Unprocessable):
    """The body as a whole cannot be imported (format, header); nothing was written."""
    code = "import_rejected"


def choose(requested: str | None, columns: set[str], *, header: bool) -> ModuleType:
    """The format for a body whose header (CSV) or first object (JSON) has ``columns``.

    ``header`` is False when the columns came from a JSON line that is a whole
    bucket or page: its rows are checked one by one instead.
    """
    if requested:
        fmt = FORMATS.get(requested.strip().lower())
        if fmt is None:
            raise ImportRejected(f"Unknown format {requested!r}.", {"format": requested,
                                 "allowed": sorted(FORMATS)}, code="unknown_format")
    else:
        fmt = next((candidate for candidate in DETECTION_ORDER if candidate.detect(columns)), None)
        if fmt is None:
            raise ImportRejected(
                "Could not tell the format from the columns; pass ?format=tokenwise|litellm|openai.",
                {"columns": sorted(columns)[:50], "allowed": sorted(FORMATS)}, code="format_not_detected")
    if header:
        check_columns(fmt, columns)
    return fmt


def check_columns(fmt: ModuleType, columns: set[str]) -> None:
    missing = [name for name in fmt.REQUIRED if name not in columns]
    if missing:
        raise ImportRejected(f"The {fmt.NAME} format needs the columns: {', '.join(missing)}.",
                             {"format": fmt.NAME, "missing": missing}, code="missing_columns")
    if fmt.REFUSES_UNKNOWN_COLUMNS:
        known = set(fmt.REQUIRED) | set(fmt.OPTIONAL)
        unexpected = sorted(columns - known)
        if unexpected:
            raise ImportRejected(f"Unknown columns for the {fmt.NAME} format: {', '.join(unexpected[:20])}.",
                                 {"format": fmt.NAME, "unexpected": unexpected[:50],
                                  "optional": list(fmt.OPTIONAL)}, code="unexpected_columns")
