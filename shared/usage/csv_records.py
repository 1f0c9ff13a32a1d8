"""CSV records of bounded length: a record past the limit is refused without being held.

``csv.reader`` takes whole lines from its source, so one 200 MB line would sit in
memory before any field limit applied, and a quoted field may span lines, so the
bound belongs to the record, not the physical line. ``BoundedLines`` hands the
reader lines of at most the limit and counts the characters of the record being
read; once a record passes the limit it finds where that record ends with
``scan`` (which follows the ``csv`` module's reading of quotes for the default
dialect, not strict), reads past it in small pieces and raises
``RecordTooLong``. The reader starts afresh on the next call, at the next record.

Memory: at most two limits' worth of text (the record so far and one line).
CPU: linear in the text; the skipped part is scanned by regular expressions.
"""
from __future__ import annotations

import re
from typing import IO

SKIP_CHARS = 256 * 1024  # read while looking for the end of a refused record

# Where a scan stands between pieces of text
FIELD_START, UNQUOTED, QUOTED, QUOTE_SEEN = range(4)
NEWLINES = "\r\n"

# Whole fields each followed by a delimiter. Possessive, so a field is never re-read another way:
# a quoted field ("" is a quote; after the closing quote, csv keeps everything up to the delimiter)
# or an unquoted one (quotes in it are plain characters), or an empty one.
_FIELDS = re.compile(r'(?:(?:"(?:[^"]++|"")*+"[^,\r\n]*+|[^",\r\n][^,\r\n]*+)?+,)*+')
_IN_QUOTES = re.compile(r'(?:[^"]++|"")*+')
_UNQUOTED = re.compile(r"[^,\r\n]*+")


class RecordTooLong(Exception):
    """A CSV record longer than the limit; it has been read past."""

    def __init__(self, limit: int):
        super().__init__(f"is longer than {limit} characters")
        self.limit = limit


def _past(pattern: re.Pattern[str], text: str, pos: int) -> int:
    match = pattern.match(text, pos)
    return match.end() if match else pos  # each pattern matches the empty string, so never None


def scan(text: str, state: int) -> tuple[int, int]:
    """Scan ``text`` from ``state``: ``(state after it, -1)``, or ``(FIELD_START, i)`` when the record
    ends at the line break ``text[i]``. The loop turns a few times per text, not once per field."""
    pos, size = 0, len(text)
    while pos < size:
        if state == FIELD_START:
            pos = _past(_FIELDS, text, pos)
            if pos == size:
                break
            char = text[pos]
            if char in NEWLINES:
                return FIELD_START, pos
            if char == '"':
                state, pos = QUOTED, pos + 1
            else:
                state = UNQUOTED
        elif state == UNQUOTED:
            pos = _past(_UNQUOTED, text, pos)
            if pos == size:
                break
            if text[pos] in NEWLINES:
                return FIELD_START, pos
            state, pos = FIELD_START, pos + 1  # the delimiter
        elif state == QUOTED:
            pos = _past(_IN_QUOTES, text, pos)
            if pos == size:
                break
            state, pos = QUOTE_SEEN, pos + 1  # a lone quote: it closes the field unless a quote follows
        else:  # QUOTE_SEEN
            char = text[pos]
            if char == '"':
                state, pos = QUOTED, pos + 1
            elif char == ",":
                state, pos = FIELD_START, pos + 1
            elif char in NEWLINES:
                return FIELD_START, pos
            else:
                state = UNQUOTED
    return state, -1


class BoundedLines:
    """The lines of ``text`` for ``csv.reader``, raising ``RecordTooLong`` for a record over ``limit``.

    Call ``new_record()`` whenever the reader has returned a record or raised, so the count starts over.
    """

    def __init__(self, text: IO[str], limit: int):
        self.text = text
        self.limit = limit
        self.used = 0
        self.held: list[str] = []  # the lines of the record being read, to find its state on overflow
        self.pending = ""  # what followed a refused record's end on its last line

    def __iter__(self) -> BoundedLines:
        return self

    def __next__(self) -> str:
        if self.pending:
            line, self.pending = self.pending, ""
        else:
            line = self.text.readline(self.limit - self.used + 1)
        if not line:
            raise StopIteration
        self.used += len(line)
        if self.used > self.limit:
            self._read_past(line)
        self.held.append(line)
        return line

    def new_record(self) -> None:
        self.used = 0
        self.held = []

    def _read_past(self, line: str) -> None:
        state, end, text = FIELD_START, -1, ""
        for text in (*self.held, line):
            state, end = scan(text, state)
            if end >= 0:
                break
        self.held = []
        while end < 0:
            text = self.text.readline(SKIP_CHARS)
            if not text:
                break
            state, end = scan(text, state)
        self.pending = text[end + 1:] if end >= 0 else ""
        self.new_record()
        raise RecordTooLong(self.limit)
