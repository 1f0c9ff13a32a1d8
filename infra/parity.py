"""Parity mode: every unit as its own process, behind one port, routed like the load balancer.

``python -m infra.local_stack --parity`` starts each function as the buildpack
runs it (``functions-framework --target <entry> --source main.py``, the root
``main.py`` that re-exports every entry point) and each container with its
manifest ``command`` (``$PORT`` filled in), each on a free port, then a small
front proxy on ``--port`` that picks the backend by the manifest's path
prefixes (longest first). The proxy reads only the request head, forwards it
with ``Connection: close`` (so one client connection never spans two units)
and then splices bytes both ways, which also carries WebSocket upgrades. It
answers ``GET /health`` itself: the owning unit's health plus a ``units`` map
of the processes, and ``GET /openapi.json``: the OpenAPI document of the
units. A unit whose process is gone answers 503 ``unit_unavailable`` with the
reason; the others keep serving.

The children inherit this environment (the manifest's production ``env`` is
not applied: this is a development stack). Each runs in its own session, so
SIGINT (Ctrl-C) and SIGTERM reach them from here, as one SIGTERM to each
process group (gunicorn's graceful stop; the chat closes sockets with 1001),
then SIGKILL after ``STOP_GRACE_S``. On Linux a child also dies with this process.
"""
from __future__ import annotations

import ctypes
import http.client
import json
import os
import shlex
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from dataclasses import dataclass

from infra import manifest
from infra.local_stack import Checks, stack_health
from infra.manifest import ROOT, Unit
from shared import errors

HEAD_LIMIT = 64 * 1024
START_DEADLINE_S = 60.0
STOP_GRACE_S = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _executable(name: str) -> str:
    """A console script of this interpreter's environment first (the venv need not be activated)."""
    local = os.path.join(os.path.dirname(sys.executable), name)
    return local if os.access(local, os.X_OK) else (shutil.which(name) or name)


def command_for(unit: Unit, port: int) -> list[str]:
    if unit.kind == "function":
        return [sys.executable, "-m", "functions_framework", "--target", unit.entry_point,
                "--source", str(ROOT / "main.py"), "--host", "127.0.0.1", "--port", str(port)]
    argv = shlex.split(unit.command.replace("$PORT", str(port)))
    if not argv:
        raise ValueError(f"container unit {unit.name} has no command")
    return [_executable(argv[0]), *argv[1:]]


@dataclass
class UnitProcess:
    unit: Unit
    port: int
    proc: subprocess.Popen | None = None
    error: str | None = None  # why it is not serving, once known

    def state(self) -> dict:
        if self.proc is not None and self.proc.poll() is None and self.error is None:
            return {"status": "running", "kind": self.unit.kind, "pid": self.proc.pid, "port": self.port}
        reason = self.error or f"exited with code {self.proc.returncode if self.proc else None}"
        return {"status": "failed", "kind": self.unit.kind, "error": reason}

    @property
    def serving(self) -> bool:
        return self.state()["status"] == "running"


def route(path: str, table: list[tuple[str, UnitProcess]]) -> UnitProcess | None:
    """The unit owning ``path``; ``table`` is sorted longest prefix first, ``""`` standing for ``/``."""
    for prefix, unit in table:
        if path == prefix or path.startswith(prefix + "/"):
            return unit
    return None


def _splice(src: socket.socket, dst: socket.socket) -> None:
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _rewrite_head(head: bytes) -> bytes:
    lines = head.split(b"\r\n")
    if any(line.lower().startswith(b"upgrade:") for line in lines[1:]):
        return head
    kept = [line for line in lines[1:] if line and not line.lower().startswith(b"connection:")]
    return b"\r\n".join([lines[0], *kept, b"Connection: close"])


def _respond(client: socket.socket, status: str, body: dict) -> None:
    payload = json.dumps(body).encode()
    client.sendall(f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\n"
                   f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)


def _unavailable(unit: UnitProcess) -> dict:
    return errors.ServiceUnavailable(f"The {unit.unit.name} unit is not running.",
                                     {"unit": unit.unit.name, "reason": unit.state().get("error", "not listening")},
                                     code="unit_unavailable").body()


class _Handler(socketserver.BaseRequestHandler):
    server: FrontProxy

    def handle(self) -> None:
        client: socket.socket = self.request
        data = b""
        while b"\r\n\r\n" not in data and len(data) < HEAD_LIMIT:
            chunk = client.recv(65536)
            if not chunk:
                return
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        try:
            method, target = head.split(b"\r\n", 1)[0].split(b" ")[:2]
            path = target.decode("latin-1").split("?", 1)[0]
        except ValueError:
            _respond(client, "400 Bad Request", errors.BadRequest("Bad request line.").body())
            return
        unit = route(path, self.server.table)
        if method == b"GET" and path == "/openapi.json":
            _respond(client, "200 OK", self.server.openapi())
            return
        if method == b"GET" and path == "/health":
            _respond(client, "200 OK", self.server.health(unit))
            return
        if unit is None:
            _respond(client, "404 Not Found", errors.NotFound(f"No unit serves {path}.").body())
            return
        try:
            if not unit.serving:
                raise ConnectionRefusedError
            backend = socket.create_connection(("127.0.0.1", unit.port), timeout=10)
        except OSError:
            _respond(client, "503 Service Unavailable", _unavailable(unit))
            return
        backend.settimeout(None)
        backend.sendall(_rewrite_head(head) + b"\r\n\r\n" + rest)
        pump = threading.Thread(target=_splice, args=(client, backend), daemon=True)
        pump.start()
        _splice(backend, client)
        pump.join(timeout=1)
        backend.close()


class FrontProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], units: list[UnitProcess], checks: Checks | None = None):
        super().__init__(address, _Handler)
        self.units = units
        self.checks = dict(checks or {})
        self.started = time.monotonic()
        table = [(prefix.rstrip("/"), unit) for unit in units for prefix in unit.unit.paths]
        self.table = sorted(table, key=lambda item: len(item[0]), reverse=True)

    def openapi(self) -> dict:
        from infra import openapi
        return openapi.document([u.unit for u in self.units])

    def health(self, owner: UnitProcess | None) -> dict:
        body: dict = {"status": "healthy", "service": "parity-stack"}
        if owner is not None and owner.serving:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", owner.port, timeout=10)
                conn.request("GET", "/health")
                body = json.loads(conn.getresponse().read())
                conn.close()
            except (OSError, ValueError) as exc:
                body = {"status": "degraded", "service": owner.unit.name,
                        "reasons": {owner.unit.name: f"/health failed: {exc}"}}
        units = {u.unit.name: u.state() for u in self.units}
        failed = {name: state["error"] for name, state in units.items() if state["status"] != "running"}
        return stack_health(body, units, failed, self.checks, self.started)


def _die_with_parent() -> None:
    """In the child: SIGTERM when the parent dies (Linux ``PR_SET_PDEATHSIG``), so none is orphaned."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def wait_until_listening(units: list[UnitProcess], deadline_s: float = START_DEADLINE_S) -> None:
    """Wait for every unit to listen; one that exits or never listens gets its ``error``."""
    end = time.monotonic() + deadline_s
    pending = [u for u in units if u.proc is not None]
    while pending and time.monotonic() < end:
        for unit in list(pending):
            if unit.proc.poll() is not None:
                pending.remove(unit)
                continue
            try:
                socket.create_connection(("127.0.0.1", unit.port), timeout=0.5).close()
                pending.remove(unit)
            except OSError:
                pass
        time.sleep(0.1)
    for unit in pending:
        unit.error = f"did not listen on port {unit.port} within {deadline_s:.0f} s"


def start(units: list[Unit]) -> list[UnitProcess]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = []
    for unit in units:
        child = UnitProcess(unit, free_port())
        try:
            child.proc = subprocess.Popen(command_for(unit, child.port), cwd=ROOT, start_new_session=True,
                                          env={**env, "PORT": str(child.port)}, preexec_fn=_die_with_parent)
        except (OSError, ValueError) as exc:
            child.error = f"could not start: {exc}"
        started.append(child)
    return started


def stop(children: list[UnitProcess], grace_s: float = STOP_GRACE_S) -> None:
    """SIGTERM to every child's process group, then SIGKILL to what is left after ``grace_s``."""
    running = [c.proc for c in children if c.proc is not None and c.proc.poll() is None]
    for proc in running:
        _signal_group(proc, signal.SIGTERM)
    end = time.monotonic() + grace_s
    for proc in running:
        try:
            proc.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for proc in [c.proc for c in children if c.proc is not None]:
        _signal_group(proc, signal.SIGKILL)  # also workers left behind by a master that exited
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def _signal_group(proc: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(proc.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _log(severity: str, message: str, **fields) -> None:
    print(json.dumps({"severity": severity, "message": message, "logger": "tokenwise.parity", **fields}),
          flush=True)


def run(host: str, port: int, units: list[Unit] | None = None, checks: Checks | None = None) -> int:
    units = units if units is not None else manifest.load()
    from shared import config
    from shared.auth.secret import jwt_secret
    if not config.is_production():
        jwt_secret()  # create the development secret file once, before the children race to create it
    stopping = threading.Event()

    def on_signal(signum, _frame) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    children = start(units)
    try:
        wait_until_listening(children)
        if stopping.is_set():
            return 0
        server = FrontProxy((host, port), children, checks)
        bound = server.server_address[1]
        threading.Thread(target=server.serve_forever, name="front-proxy", daemon=True).start()
        _log("INFO", f"local stack on http://{host}:{bound}", url=f"http://{host}:{bound}", port=bound,
             mode="parity", units={c.unit.name: c.state() for c in children})
        reported: set[str] = set()
        while not stopping.wait(0.5):  # a unit that exits is reported; the others keep serving
            for child in children:
                if not child.serving and child.unit.name not in reported:
                    reported.add(child.unit.name)
                    _log("ERROR", f"unit {child.unit.name} is not running", unit=child.unit.name,
                         **child.state())
        server.shutdown()
        server.server_close()
        return 0
    finally:
        _log("INFO", "stopping units", units=[c.unit.name for c in children])
        stop(children)
        _log("INFO", "stopped")
