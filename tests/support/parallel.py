"""How pytest-xdist shares the suite among workers (``make test`` runs ``-n 2 --dist loadgroup``).

The e2e and browser tests share stacks started as processes (the e2e target with its 20,000 demo
records, ``pg_stack``, the browser's stacks and Chromium): they form one group, ``STACK_PROCESSES``, run
by one worker, so each stack starts once; every other test is scheduled on its own. ``scope_of(nodeid)``
is that rule; ``GroupScheduling`` is xdist's ``loadgroup`` with it. xdist 3.8 tells its scheduler a
test's ``xdist_group`` by appending ``@group`` to the id, which pytest 9.2's structured ids no longer
take (pytest-dev/pytest-xdist#1386): marks would be dropped silently, so the group is read from the path.
"""
from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

STACK_PROCESSES = "stack-processes"
STACK_PROCESS_FOLDERS = ("tests/e2e/", "tests/web/")


def scope_of(nodeid: str) -> str | None:
    """The group ``nodeid`` runs in, or None when it may run on any worker."""
    return STACK_PROCESSES if nodeid.startswith(STACK_PROCESS_FOLDERS) else None


class GroupScheduling(LoadGroupScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid) or super()._split_scope(nodeid)
