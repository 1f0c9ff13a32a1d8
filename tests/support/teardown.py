"""Things a test starts through a fixture, stopped when the test ends.

``stopped_after_test(start, stop=lambda thing: thing.stop())`` is for a fixture to ``yield from``: the
test gets ``start`` as its factory, and everything it started is stopped afterwards, in order.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


def stopped_after_test(start: Callable[..., T],
                       stop: Callable[[T], object] = lambda thing: thing.stop()) -> Iterator[Callable[..., T]]:
    started: list[T] = []

    def tracked(*args, **kwargs) -> T:
        thing = start(*args, **kwargs)
        started.append(thing)
        return thing

    yield tracked
    for thing in started:
        stop(thing)
