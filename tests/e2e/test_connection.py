"""1. Connection: the stack is healthy, the socket needs a token, answers with connection_established and pongs."""
from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus

from tests.e2e.client import greet, receive, send


def test_health_is_200_healthy(target, client):
    response = client.request("GET", "/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["service"]) == ("healthy", "chat")
    if target.local:  # the local stack adds the state of every unit it loaded
        assert set(body["units"]) >= {"auth", "usage", "agents_execute", "chat"}
        assert {unit["status"] for unit in body["units"].values()} == {"loaded"}


def test_an_upgrade_without_a_token_is_refused_with_401(client):
    with pytest.raises(InvalidStatus) as refused:
        client.socket(None)
    assert refused.value.response.status_code == 401
    assert json.loads(refused.value.response.body)["error"]["code"] == "missing_token"


def test_a_token_opens_the_socket_and_ping_gets_pong(client, demo):
    with client.socket(demo.token) as ws:
        first = greet(ws)
        assert first["user_id"] == demo.user_id
        assert first["protocol_version"] == "1"
        assert first["connection_id"] and first["server_time"]
        send(ws, {"type": "ping", "id": "e2e-1", "timestamp": 1234})
        pong = receive(ws)
        assert (pong["type"], pong["id"], pong["timestamp"]) == ("pong", "e2e-1", 1234)
        send(ws, {"type": "what_is_this"})
        error = receive(ws)
        assert (error["type"], error["code"]) == ("error", "unknown_type")
        ws.send("{not json")
        assert receive(ws)["code"] == "invalid_json"
        send(ws, {"type": "ping"})
        assert receive(ws)["type"] == "pong"  # still open after the bad frames
