"""Frames that are valid JSON but break the decoder or what walks it: an error frame, the socket open."""
from __future__ import annotations

import json
import logging

import pytest

from functions.chat.protocol import MAX_DEPTH
from tests.support.chat_socket import connect_user, receive, send

TOO_DEEP = f"is nested deeper than {MAX_DEPTH} levels"


def nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


@pytest.fixture
def server(sqlite_db, start_chat):
    return start_chat(max_frame_bytes=65536)


@pytest.mark.parametrize("raw, reason", [
    ('{"type": "ping", "id": ' + "7" * 5000 + "}", "has a number with more digits than the server reads"),
    (nested(30_000), TOO_DEEP),
    ('{"type": "ping", "id": ' + nested(900) + "}", TOO_DEEP),
    ('{"type": "user_message", "content": "hi", "context": {"x": ' + nested(MAX_DEPTH) + "}}", TOO_DEEP),
], ids=["5000-digit integer", "30000 levels", "900 levels in a ping", "deep context"])
def test_a_frame_the_decoder_cannot_hold_is_invalid_json_and_the_socket_stays_open(
        server, new_user, caplog, raw, reason):
    caplog.set_level(logging.INFO, logger="tokenwise")
    with connect_user(server, new_user()) as ws:
        ws.send(raw)
        error = receive(ws)
        send(ws, {"type": "ping", "id": 1})
        pong = receive(ws)
    assert error == {"type": "error", "code": "invalid_json", "message": "The frame is JSON the server cannot read.",
                     "details": {"reason": reason}}
    assert (pong["type"], pong["id"]) == ("pong", 1)
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


def test_nesting_up_to_the_limit_is_read(server, new_user):
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": "ping", "id": json.loads(nested(MAX_DEPTH - 2))})
        pong = receive(ws)
    assert pong["type"] == "pong" and pong["id"] == json.loads(nested(MAX_DEPTH - 2))
