"""A binary stream made of pieces produced as they are read, so a huge body is never whole in memory."""
from __future__ import annotations

import io
from collections.abc import Iterable


class PiecewiseStream(io.RawIOBase):
    def __init__(self, parts: Iterable[bytes]):
        self.parts = iter(parts)
        self.rest = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]  # io passes a writable buffer
        self.rest = self.rest or next(self.parts, b"")
        size = min(len(buffer), len(self.rest))
        buffer[:size], self.rest = self.rest[:size], self.rest[size:]
        return size
