"""The socket protocol: first frame, ping/pong, bad frames keep the socket open, oversize closes 1009."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from websockets.exceptions import ConnectionClosed

from shared.agents.http.request import MAX_MESSAGE_CHARS, parse_agent_request
from shared.errors import ValidationFailed
from tests.support.chat_socket import connect_user, open_socket, receive, send


@pytest.fixture
def server(sqlite_db, start_chat):
    return start_chat(max_frame_bytes=16384)


def test_first_frame_is_connection_established(server, new_user):
    user = new_user()
    with open_socket(server, user.token()) as ws:
        first = receive(ws)
    assert set(first) == {"type", "connection_id", "user_id", "protocol_version", "server_time"}
    assert first["type"] == "connection_established"
    assert first["user_id"] == user.id
    assert first["protocol_version"] == "1"
    assert len(first["connection_id"]) == 32
    assert datetime.fromisoformat(first["server_time"]).tzinfo is not None


def test_ping_answers_pong_with_the_client_id(server, new_user):
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": "ping", "id": 7, "timestamp": 1234.5})
        pong = receive(ws)
    assert pong["type"] == "pong"
    assert pong["id"] == 7
    assert pong["timestamp"] == 1234.5
    assert "server_time" in pong


@pytest.mark.parametrize("raw, code", [
    ("{not json", "invalid_json"),
    ("[1, 2]", "invalid_message"),
    (json.dumps({"content": "no type"}), "invalid_message"),
    (json.dumps({"type": "dance"}), "unknown_type"),
    (json.dumps({"type": "user_message"}), "invalid_message"),
    (json.dumps({"type": "user_message", "content": "   "}), "invalid_message"),
    (json.dumps({"type": "user_message", "content": "hi", "thread_id": "../etc"}), "invalid_message"),
    (json.dumps({"type": "stop_agent"}), "invalid_message"),
    (json.dumps({"type": "resume", "run_id": "abc", "last_event_id": "other-00001"}), "invalid_message"),
    (json.dumps({"type": "get_thread_history", "thread_id": 5}), "invalid_message"),
])
def test_bad_frames_answer_an_error_and_keep_the_socket_open(server, new_user, raw, code):
    with connect_user(server, new_user()) as ws:
        ws.send(raw)
        error = receive(ws)
        send(ws, {"type": "ping"})
        assert receive(ws)["type"] == "pong"
    assert error["type"] == "error"
    assert error["code"] == code
    assert error["message"]


def test_unknown_type_lists_the_known_ones(server, new_user):
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": "dance"})
        error = receive(ws)
    assert error["details"]["type"] == "dance"
    assert "user_message" in error["details"]["known"]


def test_too_long_content_is_invalid_with_the_http_apis_limit(server, new_user):
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": "user_message", "content": "x" * (MAX_MESSAGE_CHARS + 1)})
        error = receive(ws)
    assert (error["code"], error["details"]["field"], error["details"]["reason"]) == (
        "invalid_message", "content", f"must be at most {MAX_MESSAGE_CHARS} characters")


BAD_CONTEXTS = [
    ({"now": "soon"}, "context.now"),
    ({"now": "9999-12-31T23:00:00-05:00"}, "context.now"),
    ({"time_range": {"start": "2023-10-01", "end": "2026-09-01"}}, "context.time_range"),
    ({"time_range": {"start": "2026-10-05", "end": "2026-10-01"}}, "context.time_range"),
    ({"time_range": {"start": "2026-10-05"}}, "context.time_range.end"),
    ({"time_range": "last week"}, "context.time_range"),
    ([], "context"),
]


@pytest.mark.parametrize("context, field", BAD_CONTEXTS)
def test_a_bad_context_is_refused_in_the_words_of_the_http_api_and_the_socket_stays_open(
        server, new_user, context, field):
    try:
        parse_agent_request({"message": "where did the money go?", "context": context})
    except ValidationFailed as exc:
        http_fields = exc.details["fields"]
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": "user_message", "content": "where did the money go?", "context": context})
        error = receive(ws)
        send(ws, {"type": "ping", "id": "still-open"})
        pong = receive(ws)
    assert (error["type"], error["code"]) == ("error", "invalid_message")
    assert error["details"]["field"] == field
    assert error["details"]["reason"] == http_fields[field]
    assert error["details"]["fields"] == http_fields
    assert (pong["type"], pong["id"]) == ("pong", "still-open")


def test_an_explicit_offset_is_read_as_the_http_api_reads_it(sqlite_db, start_chat, new_user):
    server = start_chat(pipeline=None)  # the real supervisor
    context = {"time_range": {"start": "2026-10-01T02:00:00+02:00", "end": "2026-10-08T00:00:00Z"},
               "now": "2026-10-09T00:00:00+00:00"}
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": "user_message", "content": "where did the money go?", "context": context})
        assert receive(ws)["type"] == "message_received"
        frame = receive(ws)
        while not (frame["type"] == "agent_completed" and frame["agent"] == "triage"):
            frame = receive(ws)
    assert frame["payload"]["result"]["entities"]["time_range"] == {
        "start": "2026-10-01T00:00:00+00:00", "end": "2026-10-08T00:00:00+00:00"}


def test_oversized_frame_closes_with_1009(server, new_user):
    with connect_user(server, new_user()) as ws:
        ws.send(json.dumps({"type": "ping", "pad": "x" * 20000}))
        with pytest.raises(ConnectionClosed) as closed:
            receive(ws)
    assert closed.value.rcvd.code == 1009


@pytest.mark.parametrize("compression, negotiated", [(False, []), (True, ["permessage-deflate"])])
def test_compression_is_declined_unless_enabled(sqlite_db, start_chat, new_user, compression, negotiated):
    server = start_chat(ws_compression=compression)
    with connect_user(server, new_user()) as ws:
        assert [extension.name for extension in ws.protocol.extensions] == negotiated
        send(ws, {"type": "ping", "pad": "y" * 3000})
        assert receive(ws)["type"] == "pong"
