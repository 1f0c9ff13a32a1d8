"""Stream an upload into a user's usage records, batch by batch.

``import_stream(user_id, stream, mimetype, requested_format=None)`` reads the
body incrementally (``shared.usage.reader``), picks the format, checks and
prices each row, and writes batches of ``batch_rows`` records, each batch in
its own transaction (``shared.usage.writer``). It returns an ``ImportReport``:
``{imported, duplicates, rejected, errors: [{row, field, reason}], ...}`` with
the first ``MAX_ERRORS`` errors. Good rows land, bad rows are reported, and a
re-import stores nothing twice.

Failures part-way through, after some batches were committed (each answer
says how far it got, in ``details.committed``; re-sending the same file is
safe because stored rows are skipped):

- the database becomes unavailable: 503 ``database_unavailable``;
- the body grows past ``max_bytes``: 413 ``payload_too_large``;
- the body cannot be read to its end (client gone, broken chunking): 400 ``upload_interrupted``.

Errors name the field of the row; ``field`` is null when the row as a whole
is bad (not JSON, wrong number of CSV fields). A JSON line holding a whole
OpenAI bucket or page names fields like ``results[2].model``; each of its
results counts as one record in ``rejected``.

Options (environment variables): ``USAGE_IMPORT_MAX_BYTES`` (209,715,200 = 200
MiB), ``USAGE_IMPORT_BATCH_ROWS`` (5,000), ``USAGE_IMPORT_MAX_LINE_BYTES``
(1,048,576: the longest JSON line in bytes, or CSV record in characters).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from shared import config
from shared.clock import utcnow
from shared.errors import PayloadTooLarge
from shared.usage.costing import Pricer
from shared.usage.formats import ImportRejected, choose
from shared.usage.reader import UploadInterrupted, open_body
from shared.usage.records import RowCheck
from shared.usage.writer import BatchWriter, ImportInterrupted

MAX_ERRORS = 100


def max_bytes() -> int:
    return config.env_int("USAGE_IMPORT_MAX_BYTES", 200 * 1024 * 1024)


def batch_rows() -> int:
    return max(1, config.env_int("USAGE_IMPORT_BATCH_ROWS", 5000))


def max_line_bytes() -> int:
    return max(1024, config.env_int("USAGE_IMPORT_MAX_LINE_BYTES", 1024 * 1024))


@dataclass
class ImportReport:
    format: str | None = None
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_truncated: bool = False
    cost_sources: dict[str, int] = field(default_factory=dict)
    unpriced_models: dict[str, int] = field(default_factory=dict)

    def reject(self, row: int, prefix: str, problems: Iterable[tuple[str | None, str]]) -> None:
        self.rejected += 1
        for name, reason in problems:
            if len(self.errors) >= MAX_ERRORS:
                self.errors_truncated = True
                return
            where = prefix + name if name else (prefix.rstrip(".") or None)
            self.errors.append({"row": row, "field": where, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return {"imported": self.imported, "duplicates": self.duplicates, "rejected": self.rejected,
                "errors": self.errors, "errors_truncated": self.errors_truncated, "format": self.format,
                "rows": self.rows, "cost_sources": self.cost_sources, "unpriced_models": self.unpriced_models}


def import_stream(user_id: str, stream: IO[bytes], mimetype: str, requested_format: str | None = None, *,
                  limit_bytes: int | None = None, rows_per_batch: int | None = None,
                  pricer: Pricer | None = None) -> ImportReport:
    """Import the body in ``stream`` for ``user_id``; see the module docstring for the failures."""
    limit_bytes = limit_bytes or max_bytes()
    rows_per_batch = rows_per_batch or batch_rows()
    pricer = pricer or Pricer()
    body = open_body(stream, mimetype, limit_bytes, max_line_bytes())
    header = body.header()
    if header is None:
        raise ImportRejected("The upload has no rows.", code="empty_body")
    fmt = choose(requested_format, header.columns, header=header.is_header)
    report = ImportReport(format=fmt.NAME)
    writer = BatchWriter(user_id, utcnow())
    expand, parse = fmt.expand, fmt.parse
    batch = writer.new_batch()
    try:
        try:
            for number, obj, problem in body.rows():
                report.rows = number
                if problem is not None:
                    report.reject(number, "", [(None, problem)])
                    continue
                for prefix, item in expand(obj):
                    check = RowCheck()
                    record = parse(item, check, pricer)
                    if record is None:
                        report.reject(number, prefix, check.problems)
                    else:
                        batch.add(record)
                if len(batch) >= rows_per_batch:
                    writer.submit(batch, number)
                    batch = writer.new_batch()
            writer.submit(batch, report.rows)
        except (PayloadTooLarge, UploadInterrupted) as exc:
            writer.close()
            exc.details.update(committed=writer.committed(), report=_partial(report))
            raise
        writer.close()
    except ImportInterrupted as exc:
        exc.details["report"] = _partial(report)
        raise
    finally:
        writer.abandon()
    report.imported, report.duplicates = writer.inserted, writer.duplicates
    report.cost_sources = dict(pricer.sources)
    report.unpriced_models = dict(pricer.unpriced_models)
    return report


def _partial(report: ImportReport) -> dict[str, Any]:
    """What was read and rejected before an import stopped part-way."""
    return {"rows_read": report.rows, "rejected": report.rejected, "errors": report.errors[:MAX_ERRORS]}

