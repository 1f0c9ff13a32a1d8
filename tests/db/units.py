"""What the DB fault tests need to know about each unit of the manifest.

``DB_PROBES`` names, for every unit that ``needs_database``, one request that
must touch the database and the answer it gives when the database is up
(``setup(base_url)``, run while the database is up, returns what ``body``
needs). A unit added to the manifest without an entry here fails
``test_every_database_unit_has_a_probe`` until it gets one.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import requests

from infra import manifest
from infra.manifest import Unit
from tests.support.identity import unique_email


@dataclass(frozen=True)
class Probe:
    method: str
    path: str
    body: Callable[[dict], dict] = lambda context: {}
    ok_status: int = 200
    ok_code: str | None = None  # the error code expected when the database is up, if the answer is an error
    setup: Callable[[str], dict] = lambda base_url: {}
    headers: Callable[[dict], dict] = lambda context: {}
    # What the unit answers while the database is down: 503 database_unavailable unless it degrades
    # on purpose (triage still answers, with data_sufficiency "unknown").
    down_status: int = 503
    down_check: Callable[[dict], bool] = lambda body: body["error"]["code"] == "database_unavailable"
    ready_needs_database: bool = True  # /health/ready is 503 while the database is down


def _registered_account(base_url: str) -> dict:
    email = unique_email("probe")
    response = requests.post(f"{base_url}/auth/register", timeout=30,
                             json={"email": email, "password": "Probe-password-8731"})
    assert response.status_code == 201, response.text
    return {"email": email}


def _token_for_new_user(_base_url: str) -> dict:
    """A user written straight to the database and an access token for them (the unit under test
    is served alone, without the auth function)."""
    from shared.auth import issue_access_token
    from shared.db import transaction
    from shared.db.schema import users
    user_id, email = str(uuid.uuid4()), unique_email("probe")
    with transaction() as conn:
        conn.execute(users.insert().values(id=user_id, email=email, name=None, password_hash="unused",
                                           created_at=datetime.now(UTC).replace(tzinfo=None)))
    token, _ = issue_access_token(user_id, email, str(uuid.uuid4()))
    return {"token": token}


def _bearer(context: dict) -> dict:
    return {"Authorization": f"Bearer {context['token']}"}


_QUESTION = lambda context: {"message": "where did my money go last week?"}  # noqa: E731

DB_PROBES: dict[str, Probe] = {
    # A wrong password for an existing account: the lookup needs the database; 401 when it is up.
    "auth": Probe("POST", "/auth/login", lambda context: {"email": context["email"], "password": "Wrong-pass-5512"},
                  ok_status=401, ok_code="invalid_credentials", setup=_registered_account),
    "usage": Probe("GET", "/api/usage/summary", setup=_token_for_new_user, headers=_bearer),
    "agents_execute": Probe("POST", "/api/agents/execute", _QUESTION, setup=_token_for_new_user, headers=_bearer,
                            down_status=200,
                            down_check=lambda body: any(e["type"] == "agent_error" and e["agent"] == "data"
                                                        for e in body["events"])),
    "agents_triage": Probe("POST", "/api/agents/triage", _QUESTION, setup=_token_for_new_user, headers=_bearer,
                           down_status=200,
                           down_check=lambda body: body["result"]["data_sufficiency"] == "unknown",
                           ready_needs_database=False),
    "agents_data": Probe("POST", "/api/agents/data", _QUESTION, setup=_token_for_new_user, headers=_bearer),
    "agents_optimization": Probe("POST", "/api/agents/optimization", _QUESTION, setup=_token_for_new_user,
                                 headers=_bearer),
}


def function_units() -> list[Unit]:
    return manifest.functions()


def database_units() -> list[Unit]:
    return [unit for unit in function_units() if unit.needs_database]


def prefix(unit: Unit) -> str:
    return unit.paths[0].rstrip("/")
