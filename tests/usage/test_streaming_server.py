"""A 50 MB chunked upload through a real functions-framework (gunicorn) process keeps its memory flat."""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests

from shared.demo import generate_rows
from tests.support.ports import free_port
from tests.support.process_tree import descendants
from tests.support.processes import serving, unit_env
from tests.support.users import create_user

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORK = str(Path(sys.executable).with_name("functions-framework"))
BODY_BYTES = 50 * 1024 * 1024
END = datetime(2026, 11, 29)


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


def sampled_upload(url: str, headers: dict, seed: int, pids: list[int]) -> tuple[requests.Response, list[int], int]:
    """POST a ``BODY_BYTES`` JSON Lines body while sampling ``pids``: the answer, the two peaks, the bytes sent."""
    sent = {"bytes": 0}
    sampler = PeakRss(pids, sent, BODY_BYTES // 2)
    sampler.start()

    def counted():
        for piece in jsonl_body(None, seed=seed, limit=BODY_BYTES):
            sent["bytes"] += len(piece)
            yield piece

    try:
        response = requests.post(url, data=counted(), headers=headers, timeout=600)
    finally:
        sampler.stop.set()
        sampler.join()
    return response, sampler.peaks, sent["bytes"]


@pytest.fixture
def usage_server(database, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # --source puts only the function's folder on sys.path; the repository root must be importable too
    env = unit_env(database, tmp_path, PYTHONPATH=str(ROOT), LOG_LEVEL="WARNING")
    with serving([FRAMEWORK, "--target", "usage", "--source", "functions/usage/main.py",
                  "--host", "127.0.0.1", "--port", str(port)],
                 ready_url=f"{base}/api/usage/health", cwd=ROOT, env=env,
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as process:
        yield base, process


@pytest.mark.slow
def test_large_chunked_upload_streams_with_bounded_memory(usage_server):
    base, process = usage_server
    user = create_user("stream")
    headers = {**user.headers, "Content-Type": "application/x-ndjson"}
    url = f"{base}/api/usage/import"
    # warm up: modules, the catalog, the connection pool and a few batches' worth of objects
    warm = requests.post(url, data=jsonl_body(30_000, seed=11), headers=headers, timeout=120)
    assert warm.status_code == 200 and warm.json()["imported"] == 30_000

    pids = [process.pid, *descendants(process.pid)]
    baseline = rss_bytes(pids)
    response, (first_half, second_half), sent = sampled_upload(url, headers, 12, pids)
    assert response.status_code == 200, response.text
    result = response.json()
    assert sent > 0.99 * BODY_BYTES
    assert result["rejected"] == 0 and result["imported"] == result["rows"] > 100_000
    growth = max(first_half, second_half) - baseline
    print(f"body {sent / 2**20:.1f} MiB, rss baseline {baseline / 2**20:.1f} MiB, peak growth "
          f"{growth / 2**20:.1f} MiB, second half over first {(second_half - first_half) / 2**20:.1f} MiB")
    # the working set is a few batches (about 10 MiB on PostgreSQL, whose batches carry exact-decimal costs),
    # whatever the body's size: far below the body, and flat
    assert growth < 0.25 * BODY_BYTES
    assert second_half - first_half < 0.1 * BODY_BYTES


@pytest.mark.slow
def test_a_refused_large_upload_is_not_buffered(usage_server):
    base, process = usage_server
    url = f"{base}/api/usage/import"
    assert requests.post(url, data=b"x", headers={"Content-Type": "text/csv"}, timeout=30).status_code == 401
    pids = [process.pid, *descendants(process.pid)]
    baseline = rss_bytes(pids)
    response, peaks, sent = sampled_upload(url, {"Content-Type": "application/x-ndjson"}, 13, pids)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_token"
    growth = max(peaks) - baseline
    print(f"refused body {sent / 2**20:.1f} MiB, peak growth {growth / 2**20:.1f} MiB")
    assert growth < 0.1 * BODY_BYTES
