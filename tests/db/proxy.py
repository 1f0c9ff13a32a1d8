"""Former home of the database proxy, kept only for ``tests/openapi`` until it imports ``tests.support``.

Re-exports ``closed_port`` (now ``tests.support.ports.free_port``) and the proxy names; nothing else
imports this module.
"""
from tests.support.ports import free_port as closed_port  # noqa: F401
from tests.support.proxy import DROP, FORWARD, SILENT, Proxy  # noqa: F401
