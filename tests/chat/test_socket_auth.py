"""Who may open a socket: 401 before the upgrade, subprotocol selection, tickets, 4401 on expiry."""
from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed, InvalidStatus

from shared.auth import issue_refresh_token
from shared.auth.tokens import ALGORITHM, AUDIENCE, ISSUER
from shared.db import transaction
from shared.db.schema import ws_tickets
from shared.logging import JsonFormatter
from tests.support.chat_socket import open_socket, receive, send


@pytest.fixture
def server(sqlite_db, start_chat):
    return start_chat()


def refused(server, token=None, **kwargs) -> tuple[int, dict]:
    with pytest.raises(InvalidStatus) as exc:
        open_socket(server, token, **kwargs)
    response = exc.value.response
    return response.status_code, json.loads(response.body)


def foreign_secret_token(user) -> str:
    now = datetime.now(UTC)
    claims = {"sub": user.id, "email": user.email, "sid": "s", "typ": "access", "jti": "j", "iat": now,
              "nbf": now, "exp": now + timedelta(minutes=5), "iss": ISSUER, "aud": AUDIENCE}
    return jwt.encode(claims, "another-secret-that-is-long-enough-000000", algorithm=ALGORITHM)


def test_no_token_is_401_before_the_upgrade(server):
    status, body = refused(server)
    assert status == 401
    assert body["error"]["code"] == "missing_token"
    assert set(body["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize("make_token, code", [
    (lambda user: "not-a-jwt", "malformed_token"),
    (lambda user: user.token(ttl_s=-30), "token_expired"),
    (foreign_secret_token, "invalid_signature"),
    (lambda user: issue_refresh_token(user.id, "s", "jti")[0], "wrong_token_type"),
])
@pytest.mark.parametrize("via", ["subprotocol", "header"])
def test_bad_tokens_are_401(server, new_user, make_token, code, via):
    status, body = refused(server, make_token(new_user()), via=via)
    assert (status, body["error"]["code"]) == (401, code)


@pytest.mark.parametrize("prefix", ["jwt.", "jwt-auth.", "bearer."])
def test_token_subprotocol_is_selected(server, new_user, prefix):
    user = new_user()
    entry = prefix + user.token()
    with open_socket(server, subprotocols=[entry]) as ws:
        assert ws.subprotocol == entry
        assert receive(ws)["user_id"] == user.id


def test_plain_protocol_is_preferred_so_the_token_is_not_echoed(server, new_user):
    user = new_user()
    with open_socket(server, user.token(), subprotocols=["tokenwise.v1"]) as ws:
        assert ws.subprotocol == "tokenwise.v1"
        assert receive(ws)["user_id"] == user.id


def test_bearer_header_selects_no_subprotocol_unless_offered(server, new_user):
    user = new_user()
    with open_socket(server, user.token(), via="header") as ws:
        assert ws.subprotocol is None
        assert receive(ws)["type"] == "connection_established"
    with open_socket(server, user.token(), via="header", subprotocols=["tokenwise.v1"]) as ws:
        assert ws.subprotocol == "tokenwise.v1"


def test_alias_path(server, new_user):
    user = new_user()
    with open_socket(server, user.token(), path="/api/v1/websocket") as ws:
        assert receive(ws)["user_id"] == user.id


def test_plain_get_on_the_socket_path_is_a_json_400(server, new_user):
    response = requests.get(server.url + "/ws", headers=new_user().bearer(), timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "websocket_upgrade_required"


def test_token_expiring_mid_session_closes_4401(server, new_user):
    with open_socket(server, new_user().token(ttl_s=1.5)) as ws:
        assert receive(ws)["type"] == "connection_established"
        send(ws, {"type": "ping"})
        assert receive(ws)["type"] == "pong"
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as closed:
            receive(ws, timeout=5)
    assert closed.value.rcvd.code == 4401
    assert time.monotonic() - started < 3


def test_tokens_and_tickets_never_reach_the_logs(server, new_user, caplog):
    user = new_user()
    token = user.token()
    ticket = requests.post(server.url + "/api/ws/ticket", headers={"Authorization": f"Bearer {token}"},
                           timeout=5).json()["ticket"]
    with open_socket(server, token) as ws:
        receive(ws)
    with open_socket(server, query=f"?ticket={ticket}") as ws:
        receive(ws)
    refused(server, query=f"?ticket={ticket}")
    logged = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert user.id in logged  # the logs do name the user
    assert token not in logged
    assert ticket not in logged


class TestTickets:
    @pytest.fixture
    def server(self, database, start_chat):
        return start_chat(ticket_ttl_s=30)

    def issue(self, server, user) -> dict:
        response = requests.post(server.url + "/api/ws/ticket", headers=user.bearer(), timeout=5)
        assert response.status_code == 200
        return response.json()

    def test_ticket_opens_one_socket_only(self, server, new_user):
        user = new_user()
        body = self.issue(server, user)
        assert set(body) == {"ticket", "expires_in"}
        assert body["expires_in"] == 30
        with open_socket(server, query=f"?ticket={body['ticket']}") as ws:
            assert receive(ws)["user_id"] == user.id
        status, error = refused(server, query=f"?ticket={body['ticket']}")
        assert (status, error["error"]["code"]) == (401, "invalid_ticket")

    def test_only_a_hash_is_stored(self, server, new_user):
        user = new_user()
        ticket = self.issue(server, user)["ticket"]
        with transaction() as conn:
            hashes = conn.execute(select(ws_tickets.c.ticket_hash)
                                  .where(ws_tickets.c.user_id == user.id)).scalars().all()
        assert hashes == [hashlib.sha256(ticket.encode()).hexdigest()]

    def test_expired_or_unknown_ticket_is_401(self, database, start_chat, new_user):
        server = start_chat(ticket_ttl_s=1)
        ticket = self.issue(server, new_user())["ticket"]
        time.sleep(1.2)
        assert refused(server, query=f"?ticket={ticket}")[0] == 401
        assert refused(server, query="?ticket=made-up")[0] == 401

    def test_issuing_needs_a_token(self, server):
        response = requests.post(server.url + "/api/ws/ticket", timeout=5)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "missing_token"
