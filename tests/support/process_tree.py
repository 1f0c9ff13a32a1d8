"""Processes below a process, read from /proc: to measure a server with its workers, or to prove none outlive it.

``descendants(pid)`` lists every live process below ``pid`` (children, grandchildren...); ``alive(pids)``
keeps those of ``pids`` that still run. Zombies count as gone: they have already exited.
"""
from __future__ import annotations

import os
from pathlib import Path


def _parents() -> dict[int, int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # the process ended while we looked
        # the command name may hold spaces or parentheses: the fields start after the last ')'
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":  # a zombie has already exited
            parents[int(entry)] = int(fields[1])
    return parents


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren...)."""
    parents = _parents()
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        children = [child for child, ppid in parents.items() if ppid == parent]
        found += children
        frontier += children
    return found


def alive(pids: list[int]) -> list[int]:
    live = _parents()
    return [pid for pid in pids if pid in live]
