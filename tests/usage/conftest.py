"""Fixtures for the usage tests: users with access tokens, the usage function's test client, bodies."""
from __future__ import annotations

import csv
import io
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import functions_framework
import pytest
from sqlalchemy import insert

from shared.auth import issue_access_token
from shared.db import transaction
from shared.db.schema import users
from tests.conftest import unique_email

USAGE_SOURCE = "functions/usage/main.py"


@dataclass(frozen=True)
class UsageUser:
    id: str
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def create_user(tag: str = "usage") -> UsageUser:
    """A user row in the active database and an access token for it."""
    user_id, email = str(uuid.uuid4()), unique_email(tag)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with transaction() as conn:
        conn.execute(insert(users).values(id=user_id, email=email, name=tag, password_hash="not-a-hash",
                                          created_at=now, failed_logins=0))
    token, _ = issue_access_token(user_id, email, uuid.uuid4().hex)
    return UsageUser(user_id, email, token)


@pytest.fixture
def make_user(database):
    return create_user


@pytest.fixture
def client(database):
    app = functions_framework.create_app(target="usage", source=USAGE_SOURCE)
    return app.test_client()


def to_csv(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue().encode()


def to_jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def post_import(client, user: UsageUser, body: bytes, content_type: str = "text/csv", fmt: str | None = None):
    url = "/api/usage/import" + (f"?format={fmt}" if fmt else "")
    return client.post(url, data=body, headers={**user.headers, "Content-Type": content_type})
