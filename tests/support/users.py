"""Users written straight into the ``users`` table of the active database, with access tokens for them.

``create_user(tag)`` inserts a row (email ``<tag>-<hex>@example.com``, name ``tag``) and returns a ``User``;
``User(id, email)`` alone makes tokens for a user the database does not hold. ``user.token(ttl_s=None,
session_id=...)`` is an access token that expires ``ttl_s`` from now (negative: already expired; None: the
configured lifetime);
``user.headers`` (and ``user.bearer()``) is an Authorization header with a fresh one. Services check
the token's signature and claims only, so no login session is needed.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.auth import issue_access_token
from shared.auth.tokens import access_ttl_s
from shared.db import transaction
from shared.db.schema import users
from tests.support.identity import unique_email


@dataclass(frozen=True)
class User:
    id: str
    email: str

    def token(self, ttl_s: float | None = None, session_id: str = "test-session") -> str:
        # the lifetime is the service's own: moving the issue time back moves the expiry
        lifetime = access_ttl_s()
        issued = datetime.now(UTC) - timedelta(seconds=lifetime - (lifetime if ttl_s is None else ttl_s))
        return issue_access_token(self.id, self.email, session_id, now=issued)[0]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token()}"}

    def bearer(self) -> dict[str, str]:
        return self.headers


def create_user(tag: str = "user") -> User:
    user = User(str(uuid.uuid4()), unique_email(tag))
    with transaction() as conn:
        conn.execute(users.insert().values(id=user.id, email=user.email, name=tag, password_hash="not-a-real-hash",
                                           created_at=datetime.now(UTC).replace(tzinfo=None)))
    return user
