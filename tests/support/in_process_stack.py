"""The local stack built in the test process (``infra.local_stack.build``) on a werkzeug server in a thread.

``RunningStack(dispatcher)`` serves it on a free loopback port: ``base_url``, ``ws_url``, ``get``/``post``
(a requests session that never goes through a proxy from the environment); ``stop()`` drains the units,
then stops the server.
"""
from __future__ import annotations

import requests

from infra import local_stack
from infra.request_log import QuietRequestHandler
from tests.support.servers import ThreadedServer


class RunningStack(ThreadedServer):
    def __init__(self, dispatcher: local_stack.Dispatcher):
        self.dispatcher = dispatcher
        super().__init__(dispatcher, request_handler=QuietRequestHandler)
        self.base_url = self.url
        self.ws_url = f"ws://127.0.0.1:{self.port}"
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only: never through a proxy from the environment

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.base_url + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.http.post(self.base_url + path, timeout=10, **kwargs)

    def stop(self) -> None:
        self.dispatcher.drain()
        super().stop()
        self.http.close()
