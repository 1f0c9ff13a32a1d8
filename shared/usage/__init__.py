"""Usage records: import in three formats, costing, storage and summaries.

- ``import_stream(user_id, stream, mimetype, format)``: streaming import of CSV
  (``text/csv``) or JSON Lines (``application/x-ndjson``) in the ``tokenwise``,
  ``litellm`` or ``openai`` format (``shared.usage.formats``), in batches.
- ``summarize(conn, user_id, start, end)``: totals and breakdowns by model,
  provider, feature and day.
- ``delete_records(conn, user_id)``: remove all of one user's records.

Options (environment variables): ``USAGE_IMPORT_MAX_BYTES`` (200 MiB),
``USAGE_IMPORT_BATCH_ROWS`` (5,000), ``USAGE_IMPORT_MAX_LINE_BYTES`` (1 MiB).
"""
from shared.usage.bulk_write import delete_records, insert_records, user_exists
from shared.usage.costing import Pricer
from shared.usage.formats import FORMATS, ImportRejected
from shared.usage.importer import ImportReport, import_stream
from shared.usage.records import COLUMNS, Record
from shared.usage.summary import summarize
from shared.usage.writer import BatchWriter, ImportInterrupted

__all__ = [
    "COLUMNS", "FORMATS", "BatchWriter", "ImportInterrupted", "ImportRejected", "ImportReport", "Pricer",
    "Record", "delete_records", "import_stream", "insert_records", "summarize", "user_exists",
]
