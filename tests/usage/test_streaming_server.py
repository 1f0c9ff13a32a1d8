"""A 50 MB chunked upload through a real functions-framework (gunicorn) process keeps its memory flat."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests

from shared.demo import generate_rows
from tests.conftest import TEST_SECRET
from tests.usage.conftest import create_user

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = str(Path(sys.executable).with_name("functions-framework"))
BODY_BYTES = 50 * 1024 * 1024
END = datetime(2026, 11, 29)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(ppid, []).append(int(entry))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(parents.get(pid, []))
    return tree


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


class PeakRss(threading.Thread):
    """Samples the processes' RSS; keeps the peak while the first half of the body is sent and after."""

    def __init__(self, pids: list[int], sent: dict, half: int):
        super().__init__(daemon=True)
        self.pids, self.sent, self.half = pids, sent, half
        self.peaks = [0, 0]
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            half = 0 if self.sent["bytes"] < self.half else 1
            self.peaks[half] = max(self.peaks[half], rss_bytes(self.pids))
            time.sleep(0.01)


def jsonl_body(rows: int | None, seed: int, limit: int | None = None):
    """Demo rows as JSON Lines chunks, produced lazily (``limit`` bytes at most when given)."""
    sent, chunk = 0, []
    for row in generate_rows(rows or 10**9, seed, END, 30):
        line = (json.dumps(row, separators=(",", ":")) + "\n").encode()
        if limit is not None and sent + len(line) > limit:
            break
        chunk.append(line)
        sent += len(line)
        if len(chunk) == 500:
            yield b"".join(chunk)
            chunk = []
    if chunk:
        yield b"".join(chunk)


@pytest.fixture
def usage_server(database, tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items()
           if key not in ("FUNCTION_TARGET", "FUNCTION_SIGNATURE_TYPE", "FUNCTION_SOURCE", "DATABASE_URL",
                          "TOKENWISE_DB_SCHEMA", "K_SERVICE")}
    env.update(database.env())
    # --source puts only the function's folder on sys.path; the repository root must be importable too
    env.update({"JWT_SECRET": TEST_SECRET, "TOKENWISE_DATA_DIR": str(tmp_path), "TOKENWISE_ENV": "development",
                "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"})
    process = subprocess.Popen([FRAMEWORK, "--target", "usage", "--source", "functions/usage/main.py",
                                "--host", "127.0.0.1", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read().decode()
            try:
                if requests.get(f"{base}/api/usage/health", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the usage server did not come up"
            time.sleep(0.05)
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_large_chunked_upload_streams_with_bounded_memory(usage_server):
    base, process = usage_server
    user = create_user("stream")
    headers = {**user.headers, "Content-Type": "application/x-ndjson"}
    url = f"{base}/api/usage/import"
    # warm up: modules, the catalog, the connection pool and a few batches' worth of objects
    warm = requests.post(url, data=jsonl_body(30_000, seed=11), headers=headers, timeout=120)
    assert warm.status_code == 200 and warm.json()["imported"] == 30_000

    pids = process_tree(process.pid)
    baseline = rss_bytes(pids)
    sent = {"bytes": 0}
    sampler = PeakRss(pids, sent, BODY_BYTES // 2)
    sampler.start()

    def counted():
        for piece in jsonl_body(None, seed=12, limit=BODY_BYTES):
            sent["bytes"] += len(piece)
            yield piece

    try:
        response = requests.post(url, data=counted(), headers=headers, timeout=600)
    finally:
        sampler.stop.set()
        sampler.join()
    assert response.status_code == 200, response.text
    result = response.json()
    assert sent["bytes"] > 0.99 * BODY_BYTES
    assert result["rejected"] == 0 and result["imported"] == result["rows"] > 100_000
    first_half, second_half = sampler.peaks
    growth = max(first_half, second_half) - baseline
    print(f"body {sent['bytes'] / 2**20:.1f} MiB, rss baseline {baseline / 2**20:.1f} MiB, peak growth "
          f"{growth / 2**20:.1f} MiB, second half over first {(second_half - first_half) / 2**20:.1f} MiB")
    # the working set is a few batches, whatever the body's size: far below the body, and flat
    assert growth < 0.2 * BODY_BYTES
    assert second_half - first_half < 0.1 * BODY_BYTES


@pytest.mark.slow
def test_a_refused_large_upload_is_not_buffered(usage_server):
    base, process = usage_server
    url = f"{base}/api/usage/import"
    assert requests.post(url, data=b"x", headers={"Content-Type": "text/csv"}, timeout=30).status_code == 401
    pids = process_tree(process.pid)
    baseline = rss_bytes(pids)
    sent = {"bytes": 0}
    sampler = PeakRss(pids, sent, BODY_BYTES // 2)
    sampler.start()

    def counted():
        for piece in jsonl_body(None, seed=13, limit=BODY_BYTES):
            sent["bytes"] += len(piece)
            yield piece

    try:
        response = requests.post(url, data=counted(), headers={"Content-Type": "application/x-ndjson"},
                                  timeout=600)
    finally:
        sampler.stop.set()
        sampler.join()
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"
    growth = max(sampler.peaks) - baseline
    print(f"refused body {sent['bytes'] / 2**20:.1f} MiB, peak growth {growth / 2**20:.1f} MiB")
    assert growth < 0.1 * BODY_BYTES
