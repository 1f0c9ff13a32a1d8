"""Waiting for something a server does behind the test's back (a row written, a run finished).

``wait_for(predicate, timeout=5, interval=0.05)`` returns the first truthy value of ``predicate()``
and fails the test when none comes within ``timeout`` seconds.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(interval)
