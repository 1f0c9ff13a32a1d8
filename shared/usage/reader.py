"""Read an upload incrementally: CSV through a text wrapper, JSON Lines line by line.

Nothing here holds the whole body: ``LimitedReader`` counts bytes as they are
read and raises 413 past the limit (400 ``upload_interrupted`` when the body
cannot be read to its end); CSV is decoded through
``io.TextIOWrapper`` (UTF-8, a leading BOM ignored) and parsed by ``csv``;
JSON Lines are read with a bounded ``readline``. A bad row is reported as a
row problem and reading goes on; a CSV record and a JSON line are limited to
``max_line_bytes`` (characters for CSV, where a record may span lines: see
``shared.usage.csv_records``), and a longer one is read past, never held.

A CSV header has at most ``MAX_COLUMNS`` (256) columns, far more than any of
the formats uses; a longer one is 422 ``too_many_columns`` with the count in
``details.columns``.

Row numbers are 1-based data rows: for CSV the records after the header, for
JSON Lines the non-blank lines. Blank lines are skipped and not counted.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from werkzeug.exceptions import HTTPException

from shared.errors import BadRequest, PayloadTooLarge
from shared.usage.csv_records import BoundedLines, RecordTooLong
from shared.usage.formats import ImportRejected

CSV_TYPES = frozenset({"text/csv", "application/csv"})
JSONL_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl",
                         "application/x-jsonlines"})
BUFFER_BYTES = 256 * 1024
MAX_COLUMNS = 256
DETECTION_LINES = 1000  # JSON lines read while looking for a first object to detect the format from

# (row number, the row as a dict or None, a whole-row problem or None)
Row = tuple[int, "dict | None", "str | None"]


class UploadInterrupted(BadRequest):
    """400: the body could not be read to its end."""


class LimitedReader(io.RawIOBase):
    """A raw reader over any ``read(n)`` stream that raises 413 once more than ``max_bytes`` arrive."""

    def __init__(self, stream: IO[bytes], max_bytes: int):
        super().__init__()
        self.stream = stream
        self.max_bytes = max_bytes
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.stream.read(len(buffer))
        except (OSError, HTTPException) as exc:  # the client went away or broke the chunked encoding
            raise UploadInterrupted(f"The upload ended before it was complete: {type(exc).__name__}.",
                                    code="upload_interrupted") from None
        if not data:
            return 0
        size = len(data)
        self.bytes_read += size
        if self.bytes_read > self.max_bytes:
            raise PayloadTooLarge(f"The upload is larger than {self.max_bytes} bytes.",
                                  {"max_bytes": self.max_bytes})
        buffer[:size] = data
        return size


@dataclass
class Header:
    """The columns the format is chosen from; ``is_header`` is False for a JSON bucket/page line."""
    columns: set[str]
    is_header: bool


class CsvBody:
    def __init__(self, buffered: IO[bytes], max_record_chars: int):
        # LiteLLM exports carry whole JSON documents (metadata, request) in one field; csv's
        # default limit (128 KiB) would reject them. The limit is process-wide in csv; the record
        # limit of ``BoundedLines`` is the one that holds.
        if csv.field_size_limit() < max_record_chars:
            csv.field_size_limit(max_record_chars)
        # surrogateescape keeps undecodable bytes visible to the row checks instead of failing the body
        text = io.TextIOWrapper(buffered, encoding="utf-8-sig", errors="surrogateescape", newline="")
        self.lines = BoundedLines(text, max_record_chars)
        self.reader = csv.reader(self.lines)
        self.names: list[str] = []

    def header(self) -> Header | None:
        for values in self._records():
            if isinstance(values, (csv.Error, RecordTooLong)):
                raise ImportRejected("The CSV header cannot be read.", {"reason": str(values)},
                                     code="invalid_header")
            if not any(value.strip() for value in values):
                continue
            if len(values) > MAX_COLUMNS:
                raise ImportRejected(f"The CSV header has more than {MAX_COLUMNS} columns.",
                                     {"columns": len(values), "max_columns": MAX_COLUMNS},
                                     code="too_many_columns")
            self.names = [value.strip() for value in values]
            duplicates = sorted(name for name, count in Counter(self.names).items() if count > 1)
            if duplicates:
                raise ImportRejected("The CSV header repeats columns.", {"duplicates": duplicates},
                                     code="invalid_header")
            return Header(set(self.names), True)
        return None

    def _records(self) -> Iterator[list[str] | csv.Error | RecordTooLong]:
        while True:
            try:
                values: list[str] | csv.Error | RecordTooLong = next(self.reader)
            except StopIteration:
                return
            except (csv.Error, RecordTooLong) as exc:  # one bad record; the reader resumes after it
                values = exc
            self.lines.new_record()
            yield values

    def rows(self) -> Iterator[Row]:
        names, width, number = self.names, len(self.names), 0
        for values in self._records():
            if isinstance(values, RecordTooLong):
                number += 1
                yield number, None, str(values)
                continue
            if isinstance(values, csv.Error):
                number += 1
                yield number, None, f"is not valid CSV: {values}"
                continue
            if not values or (len(values) == 1 and not values[0].strip()):
                continue
            number += 1
            if len(values) != width:
                yield number, None, f"has {len(values)} fields; the header has {width}"
                continue
            yield number, dict(zip(names, values, strict=True)), None


class JsonLinesBody:
    def __init__(self, buffered: IO[bytes], max_line_bytes: int):
        self.buffered = buffered
        self.max_line_bytes = max_line_bytes
        self.pending: list[Row] = []
        self.number = 0
        self.iterator = self._lines()

    def _lines(self) -> Iterator[tuple[bytes | None, str | None]]:
        """Non-blank lines, or ``(None, problem)`` for a line over the limit (skipped to its end)."""
        limit = self.max_line_bytes
        readline = self.buffered.readline
        while True:
            line = readline(limit + 1)
            if not line:
                return
            if len(line) > limit and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):
                    line = readline(BUFFER_BYTES)
                yield None, f"is longer than {limit} bytes"
                continue
            if line.isspace():
                continue
            yield line, None

    def _parse(self, line: bytes | None, problem: str | None) -> Row:
        """The row of one line from ``_lines``, which gives no line exactly when it gives a problem."""
        self.number += 1
        if problem or line is None:
            return self.number, None, problem
        try:
            obj = json.loads(line)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            return self.number, None, f"is not valid JSON: {exc}"
        if not isinstance(obj, dict):
            return self.number, None, "must be a JSON object"
        return self.number, obj, None

    def header(self) -> Header | None:
        """The keys of the first object; rows read on the way are replayed by ``rows()``."""
        for line, problem in self.iterator:
            row = self._parse(line, problem)
            self.pending.append(row)
            obj = row[1]
            if obj is not None:
                is_flat = not (isinstance(obj.get("results"), list) or isinstance(obj.get("data"), list))
                return Header(set(obj), is_flat)
            if len(self.pending) >= DETECTION_LINES:
                break
        if self.pending:
            return Header(set(), False)
        return None

    def rows(self) -> Iterator[Row]:
        yield from self.pending
        self.pending = []
        for line, problem in self.iterator:
            yield self._parse(line, problem)


def open_body(stream: IO[bytes], mimetype: str, max_bytes: int, max_line_bytes: int) -> CsvBody | JsonLinesBody:
    """The reader for ``mimetype`` over ``stream``, limited to ``max_bytes``."""
    buffered = io.BufferedReader(LimitedReader(stream, max_bytes), BUFFER_BYTES)
    if mimetype in CSV_TYPES:
        return CsvBody(buffered, max_line_bytes)
    if mimetype in JSONL_TYPES:
        return JsonLinesBody(buffered, max_line_bytes)
    raise ValueError(f"not an import content type: {mimetype}")
