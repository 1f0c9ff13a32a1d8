"""2. Authentication: bad, expired, foreign-secret and wrong-type tokens are refused with 401 before the upgrade
(or 4401 once a session's token expires), never 1011; a valid token chats."""
from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.e2e.client import ask, greet, sign, utcnow


def refused_with(client, token: str, via: str = "subprotocol") -> tuple[int, str]:
    kwargs = {"additional_headers": {"Authorization": f"Bearer {token}"}} if via == "header" else {}
    with pytest.raises(InvalidStatus) as refused:
        client.socket(token if via == "subprotocol" else None, **kwargs)
    response = refused.value.response
    return response.status_code, json.loads(response.body)["error"]["code"]


@pytest.mark.parametrize("via", ["subprotocol", "header"])
def test_a_malformed_token_is_refused(client, via):
    assert refused_with(client, "not.a.token", via) == (401, "malformed_token")


@pytest.mark.parametrize("via", ["subprotocol", "header"])
def test_a_token_signed_with_another_secret_is_refused(client, demo, via):
    forged = sign(secrets.token_urlsafe(48), demo.user_id, demo.email, issued=utcnow(), ttl_s=600)
    assert refused_with(client, forged, via) == (401, "invalid_signature")


@pytest.mark.parametrize("via", ["subprotocol", "header"])
def test_an_expired_token_is_refused(target, client, demo, via):
    expired = sign(target.secret(), demo.user_id, demo.email, issued=utcnow() - timedelta(minutes=20), ttl_s=600)
    assert refused_with(client, expired, via) == (401, "token_expired")


def test_a_refresh_token_does_not_open_a_socket(client, target):
    login = client.request("POST", "/auth/login", json={"email": target.email, "password": target.password})
    assert refused_with(client, login.json()["refresh_token"]) == (401, "wrong_token_type")


def test_a_token_that_expires_during_the_session_closes_it_with_4401(target, client, demo):
    short = sign(target.secret(), demo.user_id, demo.email, issued=utcnow(), ttl_s=2)
    with client.socket(short) as ws:
        greet(ws)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                ws.recv(timeout=15)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4401, "access token expired")


def test_a_valid_token_chats(client, demo, target):
    with client.socket(demo.token) as ws:
        greet(ws)
        exchange = ask(ws, "What can you do?", {"now": target.now})
    assert exchange.received["type"] == "message_received"
    assert exchange.closing["payload"]["result"]["category"] == "help"
    assert exchange.closing["payload"]["answer"]
