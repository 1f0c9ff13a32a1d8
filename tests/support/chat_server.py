"""The chat container's app on a real werkzeug server in a thread of the test process.

``ChatServer.start(pipeline, **settings)`` builds the app with that pipeline and the environment's
settings overridden by ``settings`` and serves it on a free loopback port; ``ws_url(path)`` is its
WebSocket address; ``stop()`` shuts the chat service down, then the server. No access log: request
lines may carry a one-time ticket.
"""
from __future__ import annotations

from dataclasses import replace

from werkzeug.serving import WSGIRequestHandler

from functions.chat.app import create_app
from functions.chat.settings import ChatSettings
from tests.support.servers import ThreadedServer


class QuietHandler(WSGIRequestHandler):
    """No access log: request lines may carry a one-time ticket."""

    def log_request(self, *args, **kwargs) -> None:
        pass

    def log_error(self, *args, **kwargs) -> None:
        pass  # after a WebSocket closes, werkzeug reads the client's close frame as a bad request


class ChatServer(ThreadedServer):
    def __init__(self, app):
        self.app = app
        self.service = app.extensions["tokenwise_chat"]
        super().__init__(app, request_handler=QuietHandler)

    @classmethod
    def start(cls, pipeline, **settings) -> ChatServer:
        return cls(create_app(pipeline=pipeline, settings=replace(ChatSettings.from_env(), **settings)))

    def ws_url(self, path: str = "/ws") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.service.shutdown()
        super().stop()
