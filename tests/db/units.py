"""What the DB fault tests need to know about each unit of the manifest.

``DB_PROBES`` names, for every unit that ``needs_database``, one request that
must touch the database and the answer it gives when the database is up
(``setup(base_url)``, run while the database is up, returns what ``body``
needs). A unit added to the manifest without an entry here fails
``test_every_database_unit_has_a_probe`` until it gets one.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import requests

from infra import manifest
from infra.manifest import Unit
from tests.conftest import unique_email


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    body: Callable[[dict], dict] = lambda context: {}
    ok_status: int = 200
    ok_code: str | None = None  # the error code expected when the database is up, if the answer is an error
    setup: Callable[[str], dict] = lambda base_url: {}


def _registered_account(base_url: str) -> dict:
    email = unique_email("probe")
    response = requests.post(f"{base_url}/auth/register", timeout=30,
                             json={"email": email, "password": "Probe-password-8731"})
    assert response.status_code == 201, response.text
    return {"email": email}


DB_PROBES: dict[str, Probe] = {
    # A wrong password for an existing account: the lookup needs the database; 401 when it is up.
    "auth": Probe("POST", "/auth/login", lambda context: {"email": context["email"], "password": "Wrong-pass-5512"},
                  ok_status=401, ok_code="invalid_credentials", setup=_registered_account),
}


def function_units() -> list[Unit]:
    return manifest.functions()


def database_units() -> list[Unit]:
    return [unit for unit in function_units() if unit.needs_database]


def prefix(unit: Unit) -> str:
    return unit.paths[0].rstrip("/")
