"""Write import batches, each in its own transaction, and remember how far the import got.

The calling thread encodes each batch as records arrive (``new_batch()``). On
PostgreSQL one background thread writes the batches while the calling thread
parses and encodes the next: the server's work overlaps ours instead of
following it. At most one batch waits in the queue, so memory stays at about
three batches. On SQLite (in-process) batches are written inline. A database
failure stops the writer; the importer then answers 503 with ``committed`` =
``{imported, duplicates, through_row}``. After the first batch that meets an
already stored request id, the writer stops trying the optimistic COPY. When
every batch is written, ``close()`` refreshes the planner statistics after a
large load and the user's rollups (``shared.usage.rollups``).
"""
from __future__ import annotations

import queue
import threading
from datetime import datetime

from shared.db import DatabaseUnavailable, backend, transaction
from shared.errors import ServiceUnavailable
from shared.logging import get_logger
from shared.usage.bulk_write import BatchBuilder, PreparedBatch, refresh_statistics, write_batch
from shared.usage.rollups import refresh_if_dirty

log = get_logger("usage.writer")


class ImportInterrupted(ServiceUnavailable):
    """503: the database failed part-way; ``details.committed`` says what was stored before it."""
    code = "database_unavailable"

    def __init__(self, reason: str, committed: dict):
        super().__init__(
            "The database became unavailable during the import. Rows up to details.committed.through_row "
            "were stored; send the same upload again to finish (stored rows are skipped).",
            {"reason": reason, "committed": committed})


class BatchWriter:
    """Writes one import's batches for ``user_id`` and counts what each committed."""

    def __init__(self, user_id: str, imported_at: datetime, threaded: bool | None = None):
        self.user_id = user_id
        self.imported_at = imported_at
        self.dialect = backend()
        self.threaded = self.dialect == "postgresql" if threaded is None else threaded
        self.optimistic = True
        self.inserted = 0
        self.duplicates = 0
        self.through_row = 0
        self.failure: BaseException | None = None
        self.stopping = False
        # (batch, through_row) to write, or None to stop; used only once the thread starts
        self._queue: queue.Queue[tuple[PreparedBatch, int] | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None

    def committed(self) -> dict:
        return {"imported": self.inserted, "duplicates": self.duplicates, "through_row": self.through_row}

    def _write(self, batch: PreparedBatch, through_row: int) -> None:
        try:
            with transaction() as conn:
                new, conflicted = write_batch(conn, batch, self.optimistic)
        except DatabaseUnavailable as exc:
            log.warning("import interrupted", extra={"fields": {
                "user_id": self.user_id, "reason": exc.reason, **self.committed()}})
            raise ImportInterrupted(exc.reason, self.committed()) from exc
        self.optimistic = self.optimistic and not conflicted
        self.inserted += new
        self.duplicates += batch.size - new
        self.through_row = through_row

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self.failure is not None or self.stopping:
                continue  # drain, so that the producer never blocks on a dead writer
            try:
                self._write(*item)
            except BaseException as exc:  # handed to the request thread, which raises it
                self.failure = exc

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def new_batch(self) -> BatchBuilder:
        """An empty batch to ``add`` records to, then hand to ``submit``."""
        return BatchBuilder(self.dialect, self.user_id, self.imported_at)

    def submit(self, builder: BatchBuilder, through_row: int) -> None:
        """Write (or queue) one batch; raises an earlier batch's failure."""
        self._raise_failure()
        if not len(builder):
            return
        batch = builder.finish()
        if not self.threaded:
            self._write(batch, through_row)
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="usage-import-writer", daemon=True)
            self._thread.start()
        self._queue.put((batch, through_row))

    def close(self) -> None:
        """Wait for every queued batch; raises the first failure."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        self._raise_failure()
        try:
            with transaction() as conn:
                refresh_statistics(conn, self.inserted)
            refresh_if_dirty(self.user_id)
        except DatabaseUnavailable as exc:  # the rows are stored; the next analysis rolls them up
            log.warning("rollups not refreshed after import", extra={"fields": {
                "user_id": self.user_id, "reason": exc.reason}})

    def abandon(self) -> None:
        """Stop without writing what is still queued (the import failed for another reason)."""
        if self._thread is not None and self._thread.is_alive():
            self.stopping = True
            self._queue.put(None)
            self._thread.join()
