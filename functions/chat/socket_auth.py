"""Who opens a socket: the token from a subprotocol entry, a Bearer header, or a one-time ticket.

Browsers cannot set headers on a WebSocket, so the access token may travel as
a ``Sec-WebSocket-Protocol`` entry ``jwt.<token>`` (also ``jwt-auth.<token>``
and ``bearer.<token>``, which existing clients send). The server must then
select one offered subprotocol or browsers fail the handshake: it selects the
plain ``tokenwise.v1`` when offered (so the token is not echoed back), else
the entry that carried the token. Otherwise ``Authorization: Bearer <token>``
or ``?ticket=`` (see ``tickets``). Any failure is a 401 before the upgrade.
"""
from __future__ import annotations

from dataclasses import dataclass

import flask

from functions.chat import tickets
from shared.auth import Principal, TokenError, bearer_token
from shared.auth.request import principal_from_token
from shared.errors import Unauthorized

TOKEN_PREFIXES = ("jwt.", "jwt-auth.", "bearer.")
PLAIN_PROTOCOL = "tokenwise.v1"


@dataclass(frozen=True)
class SocketIdentity:
    principal: Principal
    subprotocol: str | None  # the one to select in the handshake answer
    method: str  # "subprotocol" | "header" | "ticket"


def offered_subprotocols(request: flask.Request) -> list[str]:
    offered: list[str] = []
    for value in request.headers.getlist("Sec-WebSocket-Protocol"):
        offered.extend(item.strip() for item in value.split(",") if item.strip())
    return offered


def _token_entry(offered: list[str]) -> tuple[str, str] | None:
    for entry in offered:
        for prefix in TOKEN_PREFIXES:
            if entry.lower().startswith(prefix) and len(entry) > len(prefix):
                return entry, entry[len(prefix):]
    return None


def _from_token(token: str) -> Principal:
    try:
        return principal_from_token(token)
    except TokenError as exc:
        raise Unauthorized(exc.message, code=exc.code) from None


def authenticate_socket(request: flask.Request) -> SocketIdentity:
    """The caller of a WebSocket handshake, or ``Unauthorized`` (401) with a code."""
    offered = offered_subprotocols(request)
    plain = PLAIN_PROTOCOL if PLAIN_PROTOCOL in offered else None
    entry = _token_entry(offered)
    if entry is not None:
        selected, token = entry
        return SocketIdentity(_from_token(token), plain or selected, "subprotocol")
    token = bearer_token(request)
    if token is not None:
        return SocketIdentity(_from_token(token), plain, "header")
    ticket = request.args.get("ticket")
    if ticket:
        principal = tickets.redeem(ticket)
        if principal is None:
            raise Unauthorized("The ticket is invalid, expired or already used.", code="invalid_ticket")
        return SocketIdentity(principal, plain, "ticket")
    raise Unauthorized("Send an access token as subprotocol 'jwt.<token>', as 'Authorization: Bearer "
                       "<token>', or a one-time '?ticket=' from POST /api/ws/ticket.", code="missing_token")
