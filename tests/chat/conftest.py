"""Chat fixtures: a real chat server (werkzeug, threaded) per test, and users written to the database.

The socket client is ``tests/support/chat_socket.py``, what the chat stored ``tests/support/chat_history.py``.
"""
from __future__ import annotations

import pytest

from tests.chat.pipelines import quick_pipeline
from tests.support.chat_server import ChatServer
from tests.support.teardown import stopped_after_test
from tests.support.users import create_user


@pytest.fixture
def start_chat():
    """``start_chat(pipeline=..., **settings)`` → a running ``ChatServer``; stopped after the test."""
    def start(pipeline=quick_pipeline, **settings) -> ChatServer:
        return ChatServer.start(pipeline, **settings)

    yield from stopped_after_test(start)


@pytest.fixture
def new_user():
    """``new_user()`` → a ``User`` row in the active database (tagged ``chat``)."""
    return lambda: create_user("chat")
