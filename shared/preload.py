"""Heavy modules imported in a background thread, so a cold start's first health probe answers at once.

A unit keeps SQLAlchemy, the agent pipeline and the like out of its import time. Its health
check calls ``load(modules)`` on the first probe: the modules then import in a daemon thread while
the probe answers, and the first real request finds them in memory (or, if it comes sooner,
waits on the import already under way instead of starting its own). ``load`` starts once per
tuple of modules and per process; the future it returns says whether they loaded, and why not.
"""
from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from concurrent.futures import Future

from shared.logging import get_logger

log = get_logger("preload")

_lock = threading.Lock()
_loads: dict[tuple[str, ...], Future] = {}


def in_thread(name: str, work: Callable[[], object]) -> Future:
    """``work()`` in a new daemon thread; its result or exception lands in the returned future."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to whoever reads the future
            future.set_exception(exc)

    # A daemon thread: one stuck (on a silent database host, say) never delays another's work or exit.
    threading.Thread(target=run, name=name, daemon=True).start()
    return future


def _import_all(modules: tuple[str, ...]) -> None:
    for module in modules:
        try:
            importlib.import_module(module)
        except BaseException as exc:
            log.error("a module cannot load", extra={"fields": {
                "module": module, "reason": f"{type(exc).__name__}: {exc}"}})
            raise


def load(modules: tuple[str, ...]) -> Future:
    """Start importing ``modules`` in order in the background, once; the future of that import."""
    with _lock:
        future = _loads.get(modules)
        if future is None:
            future = _loads[modules] = in_thread(f"preload-{modules[0]}", lambda: _import_all(modules))
    return future
