"""Optional LLM wording against a real local OpenAI-compatible HTTP server: success, error, timeout, guard."""
from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.agents.pipeline.events import Emitter
from shared.agents.report import llm
from shared.agents.report.agent import report
from tests.agents.test_report import DATA, OPTIMIZATION, triage_dict


class FakeOpenAI:
    """``POST /v1/chat/completions``; ``mode`` picks the answer: ok, ok_invented, error, slow, garbage."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if fake.mode == "error":
                    return self._send(500, {"error": {"message": "overloaded"}})
                if fake.mode == "slow":
                    time.sleep(1.5)
                if fake.mode == "garbage":
                    return self._send(200, {"unexpected": True})
                draft = body["messages"][1]["content"].split("Report:\n", 1)[1]
                words = "Here is the plain version. " + draft
                if fake.mode == "ok_invented":
                    words += "\nYou could also save $9,999.00 by magic."
                self._send(200, {"choices": [{"index": 0, "message": {"role": "assistant", "content": words}}]})

            def _send(self, status, payload):
                raw = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def fake_openai():
    fake = FakeOpenAI()
    fake.thread.start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


@pytest.fixture
def configured(fake_openai):
    os.environ.update({"LLM_BASE_URL": fake_openai.base_url, "LLM_API_KEY": "sk-test-key",
                       "LLM_MODEL": "tiny-writer", "LLM_TIMEOUT_S": "0.5"})
    return fake_openai


def ask(emitter: Emitter | None = None):
    emitter = emitter or Emitter()
    return report("how can we cut costs?", emitter=emitter, triage=triage_dict(), data=DATA,
                  optimization=OPTIMIZATION), emitter


def test_off_by_default_no_call(fake_openai):
    for name in ("LLM_BASE_URL", "LLM_MODEL", "LLM_API_KEY"):
        os.environ.pop(name, None)
    result, emitter = ask()
    assert result.wording == "template" and result.llm_error is None
    assert fake_openai.requests == []
    assert "llm_wording" not in [e.payload.get("tool") for e in emitter.events]


def test_success_rewords_and_sends_the_draft(configured):
    result, emitter = ask()
    assert result.wording == "llm" and result.llm_error is None
    assert result.markdown.startswith("Here is the plain version. ### Ways to spend less")
    assert "$100.50 a month" in result.markdown
    [call] = configured.requests
    assert call["path"] == "/v1/chat/completions"
    assert call["auth"] == "Bearer sk-test-key"
    assert call["body"]["model"] == "tiny-writer"
    assert call["body"]["messages"][0]["role"] == "system"
    assert "how can we cut costs?" in call["body"]["messages"][1]["content"]
    assert "You spent **$812.35**" in call["body"]["messages"][1]["content"]
    tools = [(e.type, e.payload.get("tool")) for e in emitter.events if e.type.startswith("tool_")]
    assert tools == [("tool_executing", "render_template"), ("tool_completed", "render_template"),
                     ("tool_executing", "llm_wording"), ("tool_completed", "llm_wording")]
    assert emitter.events[-2].payload["summary"]["ok"] is True
    assert emitter.events[-1].payload["result"]["wording"] == "llm"


def test_error_status_falls_back_to_the_template_and_says_so(configured):
    configured.mode = "error"
    result, emitter = ask()
    assert result.wording == "template"
    assert result.llm_error == "the wording endpoint answered HTTP 500"
    assert result.markdown.startswith("### Ways to spend less")
    assert "_The wording service failed (the wording endpoint answered HTTP 500); this is the standard answer" \
        in result.markdown
    assert emitter.events[-2].payload["summary"] == {"ok": False, "error": "the wording endpoint answered HTTP 500"}


def test_timeout_falls_back_within_the_timeout(configured):
    configured.mode = "slow"
    started = time.perf_counter()
    result, _ = ask()
    elapsed = time.perf_counter() - started
    assert result.wording == "template"
    assert result.llm_error == "the wording endpoint did not answer within 0.5 s"
    assert elapsed < 1.4  # the server takes 1.5 s; we gave up at the 0.5 s timeout
    assert "You spent **$812.35**" in result.markdown


def test_invented_figures_are_rejected(configured):
    configured.mode = "ok_invented"
    result, _ = ask()
    assert result.wording == "template"
    assert result.llm_error == "the reworded answer contained figures not in the computation: $9999"
    assert "9,999" not in result.markdown


def test_unexpected_body_falls_back(configured):
    configured.mode = "garbage"
    result, _ = ask()
    assert (result.wording, result.llm_error) == ("template", "the wording endpoint returned an unexpected body")


def test_unreachable_endpoint_falls_back(configured):
    configured.server.shutdown()
    configured.server.server_close()
    result, _ = ask()
    assert result.wording == "template"
    assert result.llm_error.startswith("the wording endpoint is unreachable: ")
    assert "sk-test-key" not in result.llm_error


def test_settings_need_both_url_and_model():
    os.environ.pop("LLM_MODEL", None)
    os.environ["LLM_BASE_URL"] = "http://127.0.0.1:9/v1"
    assert llm.settings() is None
    os.environ["LLM_MODEL"] = "m"
    assert llm.settings().endpoint == "http://127.0.0.1:9/v1/chat/completions"
