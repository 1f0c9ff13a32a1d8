"""The registry of contract cases: each drives one documented (path, method, status) with a realistic request.

``@case(method, template, status)`` registers ``run(api)``; the contract test runs every case on each
backend and checks the answer it claims was really seen and matched the document. Options: none.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    method: str
    template: str
    status: int
    name: str
    run: Callable

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.template} {self.status} {self.name}"


CASES: list[Case] = []


def case(method: str, template: str, status: int) -> Callable[[Callable], Callable]:
    def register(run: Callable) -> Callable:
        CASES.append(Case(method.lower(), template, status, run.__name__, run))
        return run
    return register
