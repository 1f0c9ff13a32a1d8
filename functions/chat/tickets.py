"""One-time WebSocket tickets: ``POST /api/ws/ticket`` issues one, ``/ws?ticket=`` redeems it once.

A ticket is a random 256-bit string; only its SHA-256 is stored (``ws_tickets``),
so any instance can redeem it and a database dump reveals none. Redeeming is a
single conditional ``UPDATE`` (unused and unexpired), so two instances racing on
the same ticket cannot both win. The session it opens ends when the access
token that bought the ticket expires. Expired tickets are swept when new ones
are issued. Option: the TTL (``CHAT_TICKET_TTL_S``, 30 s).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, timedelta

from sqlalchemy import delete, insert, select, update

from functions.chat.history import utc_now
from shared.auth import Principal
from shared.db import transaction
from shared.db.schema import ws_tickets

SWEEP_AFTER = timedelta(minutes=10)


def _hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


def issue(principal: Principal, ttl_s: int) -> str:
    """A new ticket for ``principal``; ``DatabaseUnavailable`` when it cannot be stored."""
    ticket = secrets.token_urlsafe(32)
    now = utc_now()
    token_expires = principal.expires_at.astimezone(UTC).replace(tzinfo=None)
    with transaction() as conn:
        conn.execute(delete(ws_tickets).where(ws_tickets.c.expires_at < now - SWEEP_AFTER))
        conn.execute(insert(ws_tickets).values(
            ticket_hash=_hash(ticket), user_id=principal.user_id, email=principal.email,
            session_id=principal.session_id, token_expires_at=token_expires,
            expires_at=min(now + timedelta(seconds=ttl_s), token_expires), created_at=now))
    return ticket


def redeem(ticket: str) -> Principal | None:
    """The principal of an unused, unexpired ticket, marking it used; None otherwise."""
    if not ticket or len(ticket) > 200:
        return None
    digest, now = _hash(ticket), utc_now()
    with transaction() as conn:
        claimed = conn.execute(update(ws_tickets)
                               .where(ws_tickets.c.ticket_hash == digest, ws_tickets.c.used_at.is_(None),
                                      ws_tickets.c.expires_at > now)
                               .values(used_at=now)).rowcount
        if claimed != 1:
            return None
        row = conn.execute(select(ws_tickets).where(ws_tickets.c.ticket_hash == digest)).one()
    return Principal(row.user_id, row.email, row.session_id, row.token_expires_at.replace(tzinfo=UTC))
