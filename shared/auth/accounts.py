"""Users and login sessions in SQL (``users``, ``auth_sessions``), on SQLite and PostgreSQL.

Every function takes the caller's connection so that one request's writes share
one transaction (``with shared.db.transaction() as conn``). Times are naive UTC,
as the schema stores them. A session is one refresh-token family: only its
``current_jti`` may be exchanged, through a conditional UPDATE, so two
concurrent refreshes with the same token cannot both succeed.

A signed access token outlives a deleted account: every unit that acts for the
token's user checks it with ``require_user``, which refuses with 401 ``user_not_found``.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.engine import Connection

from shared.db.schema import auth_sessions, users
from shared.errors import Unauthorized


@dataclass(frozen=True)
class User:
    id: str
    email: str
    name: str | None
    password_hash: str
    created_at: datetime
    failed_logins: int
    locked_until: datetime | None

    def public(self) -> dict:
        return {"id": self.id, "email": self.email, "name": self.name}


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    current_jti: str
    expires_at: datetime
    revoked_at: datetime | None
    revoked_reason: str | None


_USER_COLUMNS = (users.c.id, users.c.email, users.c.name, users.c.password_hash, users.c.created_at,
                 users.c.failed_logins, users.c.locked_until)
_SESSION_COLUMNS = (auth_sessions.c.id, auth_sessions.c.user_id, auth_sessions.c.current_jti,
                    auth_sessions.c.expires_at, auth_sessions.c.revoked_at, auth_sessions.c.revoked_reason)


def find_user_by_email(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(users.c.email == email)).first()
    return User(*row) if row else None


def get_user(conn: Connection, user_id: str) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(users.c.id == user_id)).first()
    return User(*row) if row else None


def user_not_found() -> Unauthorized:
    return Unauthorized("The account of this token no longer exists.", code="user_not_found")


def require_user(conn: Connection, user_id: str) -> None:
    """``user_not_found`` (401) unless ``user_id`` still has an account."""
    if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
        raise user_not_found()


def insert_user(conn: Connection, email: str, name: str | None, password_hash: str, now: datetime) -> User:
    """Raises ``sqlalchemy.exc.IntegrityError`` when the email is taken."""
    user = User(str(uuid.uuid4()), email, name, password_hash, now, 0, None)
    conn.execute(insert(users).values(id=user.id, email=email, name=name, password_hash=password_hash,
                                      created_at=now, failed_logins=0, locked_until=None))
    return user


def record_failed_login(conn: Connection, user_id: str) -> int:
    """Count one more failure, atomically; returns the running count."""
    return conn.execute(update(users).where(users.c.id == user_id)
                        .values(failed_logins=users.c.failed_logins + 1)
                        .returning(users.c.failed_logins)).scalar_one()


def lock_user(conn: Connection, user_id: str, until: datetime) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(locked_until=until))


def clear_failures(conn: Connection, user_id: str, now: datetime, new_hash: str | None = None) -> bool:
    """Reset the failure count after a good password, unless a lock took effect meanwhile.

    Returns False when the account is locked at ``now`` (another request locked it).
    """
    values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
    if new_hash:
        values["password_hash"] = new_hash
    result = conn.execute(update(users).where(
        users.c.id == user_id, or_(users.c.locked_until.is_(None), users.c.locked_until <= now),
    ).values(**values))
    return result.rowcount == 1


def create_session(conn: Connection, user_id: str, jti: str, now: datetime, expires_at: datetime) -> str:
    session_id = str(uuid.uuid4())
    conn.execute(insert(auth_sessions).values(
        id=session_id, user_id=user_id, current_jti=jti, created_at=now, last_used_at=now,
        expires_at=expires_at, revoked_at=None, revoked_reason=None))
    return session_id


def get_session(conn: Connection, session_id: str, user_id: str) -> Session | None:
    row = conn.execute(select(*_SESSION_COLUMNS).where(
        auth_sessions.c.id == session_id, auth_sessions.c.user_id == user_id)).first()
    return Session(*row) if row else None


def rotate_session(conn: Connection, session_id: str, user_id: str, presented_jti: str, new_jti: str,
                   now: datetime, expires_at: datetime) -> bool:
    """Swap ``presented_jti`` for ``new_jti`` if it is still the live one; True when this call won."""
    result = conn.execute(update(auth_sessions).where(and_(
        auth_sessions.c.id == session_id,
        auth_sessions.c.user_id == user_id,
        auth_sessions.c.current_jti == presented_jti,
        auth_sessions.c.revoked_at.is_(None),
        auth_sessions.c.expires_at > now,
    )).values(current_jti=new_jti, last_used_at=now, expires_at=expires_at))
    return result.rowcount == 1


def revoke_session(conn: Connection, session_id: str, user_id: str, reason: str, now: datetime) -> bool:
    """Revoke a live session; False when it was already revoked or is not this user's."""
    result = conn.execute(update(auth_sessions).where(
        auth_sessions.c.id == session_id, auth_sessions.c.user_id == user_id,
        auth_sessions.c.revoked_at.is_(None),
    ).values(revoked_at=now, revoked_reason=reason))
    return result.rowcount == 1
