"""One browser page on the stack, with what a user does on it and what its sockets carried."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Locator, expect

PASSWORD = "golden-path-browser-2026"
LONG_S = 90_000  # ms: a demo load or an answer on a busy two-core machine


@dataclass
class SocketLog:
    url: str
    received: list[dict] = field(default_factory=list)
    sent: list[dict] = field(default_factory=list)
    closed: bool = False


def _json(payload) -> dict:
    return json.loads(payload if isinstance(payload, str) else payload.decode())


def seq(event_id: str) -> int:
    return int(event_id.rpartition("-")[2])


class WebPage:
    def __init__(self, context: BrowserContext, base_url: str, folder: Path, prefix: str = ""):
        self.context = context
        self.page = context.new_page()
        self.base_url = base_url
        self.folder = folder
        self.prefix = prefix
        self.steps = 0
        self.problems: list[str] = []
        self.sockets: list[SocketLog] = []
        self.page.on("pageerror", lambda exc: self.problems.append(f"uncaught error: {exc}"))
        self.page.on("console", self._console)
        self.page.on("websocket", self._socket)

    # ---- recording ---------------------------------------------------------------------------
    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.problems.append(f"console: {message.text}")

    def _socket(self, ws) -> None:
        log = SocketLog(ws.url)
        self.sockets.append(log)
        ws.on("framereceived", lambda payload: log.received.append(_json(payload)))
        ws.on("framesent", lambda payload: log.sent.append(_json(payload)))
        ws.on("close", lambda _ws: setattr(log, "closed", True))

    def shot(self, step: str, full_page: bool = False) -> Path:
        """A screenshot artifact; a full-page one lays the pinned sidebar and composer out in the flow."""
        self.steps += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{self.prefix}{self.steps:02d}-{step}.png"
        pinned = ".sidebar, .composer-bar"
        if full_page:
            self.page.eval_on_selector_all(pinned, "els => els.forEach(el => { el.style.position = 'static'; })")
        self.page.screenshot(path=str(path), full_page=full_page)
        if full_page:
            self.page.eval_on_selector_all(pinned, "els => els.forEach(el => { el.style.position = ''; })")
        return path

    def events(self, run_id: str) -> list[dict]:
        """Every agent event of ``run_id`` the page received, over all its sockets, in arrival order."""
        return [f for log in self.sockets for f in log.received if "event_id" in f and f["run_id"] == run_id]

    def frames(self, kind: str) -> list[dict]:
        return [f for log in self.sockets for f in log.received if f.get("type") == kind]

    # ---- what a user does --------------------------------------------------------------------
    def goto(self, path: str = "/") -> None:
        self.page.goto(self.base_url + path)

    def sign_up(self, email: str, password: str = PASSWORD) -> None:
        page = self.page
        expect(page.locator("#auth-view")).to_be_visible()
        if page.locator("#auth-submit").inner_text() != "Sign up":
            page.click("#auth-toggle")
        page.fill("#auth-email", email)
        page.fill("#auth-password", password)
        page.fill("#auth-name", "Browser test")
        page.click("#auth-submit")
        self.wait_connected()

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        page = self.page
        page.fill("#auth-email", email)
        page.fill("#auth-password", password)
        page.click("#auth-submit")
        self.wait_connected()

    def wait_connected(self) -> None:
        expect(self.page.locator("#app-view")).to_be_visible()
        expect(self.page.locator("#connection")).to_have_text("Connected", timeout=30_000)

    def load_demo(self) -> dict:
        with self.page.expect_response(lambda r: r.url.endswith("/api/usage/demo"), timeout=LONG_S) as answer:
            self.page.click("#load-demo")
        expect(self.page.locator("#import-result")).to_have_attribute("data-state", "done", timeout=LONG_S)
        return answer.value.json()

    def ask(self, question: str) -> None:
        self.page.fill("#composer-input", question)
        self.page.press("#composer-input", "Enter")

    def assistant(self, index: int) -> Locator:
        return self.page.locator(".message.assistant").nth(index)

    def wait_finished(self, index: int, status: str = "completed") -> Locator:
        message = self.assistant(index)
        expect(message).to_have_attribute("data-status", status, timeout=LONG_S)
        return message

    def progress(self, index: int) -> list[dict]:
        """The progress lines of the ``index``-th answer: ``{type, agent, event_id, text}`` each."""
        return self.assistant(index).locator(".progress li").evaluate_all(
            "lines => lines.map(l => ({type: l.dataset.type, agent: l.dataset.agent,"
            " event_id: l.dataset.eventId, text: l.textContent}))")

    def run_id(self, index: int) -> str:
        return self.assistant(index).get_attribute("data-run-id")

    def refresh_token(self) -> str | None:
        return self.page.evaluate("sessionStorage.getItem('tokenwise.refresh')")

    def no_horizontal_overflow(self) -> bool:
        return self.page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
