"""functions.chat.compat: simple-websocket's socket, reader wake-up and subprotocol choice, pinned to its version.

A failure here after an upgrade means simple-websocket moved an internal that
``functions/chat/compat.py`` relies on: re-read ``simple_websocket/ws.py``, adjust the module, then
its ``CHECKED_AGAINST``. The behaviour is checked on a real server with a real client.
"""
from __future__ import annotations

import inspect
import queue
from importlib.metadata import version

import flask
import pytest
from flask_sock import Sock
from simple_websocket import ConnectionClosed
from simple_websocket.ws import Base, Server
from websockets.sync.client import connect

from functions.chat import compat
from tests.support.servers import ThreadedServer

MAX_MESSAGE = 64


def test_installed_version_is_the_one_compat_was_checked_against():
    installed = version("simple-websocket")
    assert installed == compat.CHECKED_AGAINST["simple-websocket"], (
        f"simple-websocket is {installed}, functions/chat/compat.py was checked against "
        f"{compat.CHECKED_AGAINST['simple-websocket']}: re-read simple_websocket/ws.py")


def test_the_internals_compat_relies_on_are_still_there():
    init = inspect.getsource(Base.__init__)
    assert "self.sock = sock" in init and "self.event = event_class()" in init
    assert "self.sock.send(out_data)" in inspect.getsource(Base.send), "frames are no longer written with sock.send"
    assert "self.event.wait(" in inspect.getsource(Base.receive), "receive() no longer sleeps on ws.event"
    reader = inspect.getsource(Base._thread).rstrip()
    assert reader.endswith("self.sock.close()"), "the reader thread no longer closes the socket last"
    assert "self.subprotocols = subprotocols or []" in inspect.getsource(Server.__init__)
    assert "in self.subprotocols" in inspect.getsource(Server.choose_subprotocol)


@pytest.fixture
def socket_server():
    """A flask-sock endpoint using the compat pieces; what its receive loop saw goes to ``ended``."""
    chosen: dict[str, str | None] = {"name": None}
    ended: queue.Queue = queue.Queue()
    sockets: queue.Queue = queue.Queue()
    app = flask.Flask("compat")
    app.config["SOCK_SERVER_OPTIONS"] = {"max_message_size": MAX_MESSAGE,
                                         "subprotocols": compat.SubprotocolChoice(lambda: chosen["name"])}
    sock = Sock(app)

    @sock.route("/ws")
    def endpoint(ws):
        compat.install_session_socket(ws)
        sockets.put(ws)
        try:
            while True:
                if ws.receive() is None:
                    ended.put("returned None")
                    return
        except ConnectionClosed:
            ended.put("closed")

    server = ThreadedServer(app)
    yield server, chosen, ended, sockets
    server.stop()


@pytest.mark.parametrize("name", ["jwt.abc", None])
def test_the_subprotocol_selected_is_the_one_chosen_for_the_handshake(socket_server, name):
    server, chosen, _ended, _sockets = socket_server
    chosen["name"] = name
    with connect(f"ws://127.0.0.1:{server.port}/ws", subprotocols=["other", "jwt.abc"], close_timeout=1) as ws:
        assert ws.subprotocol == name


def test_a_close_by_simple_websocket_itself_wakes_the_receive_loop(socket_server):
    server, _chosen, ended, _sockets = socket_server
    with connect(f"ws://127.0.0.1:{server.port}/ws", close_timeout=1) as ws:
        ws.send("x" * (MAX_MESSAGE * 4))  # simple-websocket closes with 1009 by itself
        assert ended.get(timeout=5) == "closed"


def test_wake_receiver_ends_a_receive_waiting_for_the_client(socket_server):
    server, _chosen, ended, sockets = socket_server
    with connect(f"ws://127.0.0.1:{server.port}/ws", close_timeout=1):
        ws = sockets.get(timeout=5)
        ws.close(1001, "going away")
        compat.wake_receiver(ws)
        assert ended.get(timeout=5) == "closed"
