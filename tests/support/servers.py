"""A WSGI app served over real HTTP from a thread of the test process.

``ThreadedServer(app, request_handler=None)`` binds a free loopback port at once and serves with
werkzeug's threaded server (one thread per request, so WebSockets and long streams do not block each
other); ``port`` and ``url`` say where, ``stop()`` shuts it down and waits for its thread.
``request_handler`` replaces werkzeug's handler, for instance to keep one-time tickets out of the
access log.
"""
from __future__ import annotations

import threading

from werkzeug.serving import make_server


class ThreadedServer:
    def __init__(self, app, request_handler=None):
        options = {"request_handler": request_handler} if request_handler is not None else {}
        self.server = make_server("127.0.0.1", 0, app, threaded=True, **options)
        self.port = self.server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        # a short poll interval keeps stop() from waiting half a second per server
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

