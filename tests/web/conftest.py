"""Browser fixtures: Debian's headless Chromium driven by Playwright, against the local stack as a process.

- ``browser``: one Chromium for the session (``/usr/bin/chromium``, never a downloaded one); Playwright
  starts it with a fresh temporary profile. Missing Chromium skips the browser tests locally and fails
  them in CI (``CI=true``).
- ``web_stack``: ``python -m infra.run_local`` on a free port with a temp data dir (SQLite), started the
  way the e2e suite starts it; each test signs up its own user.
- ``short_session_stack``: the same with access tokens of 4 s and refresh sessions of 2 s.
- ``short_token_stack``: the same with access tokens of 3 s (and the usual refresh sessions).
- ``pg_stack`` (a root fixture): the e2e suite's stack on PostgreSQL behind a proxy the test can cut (3,000 demo
  records).
- ``open_page``: ``open_page(stack, width=1280, height=900)`` gives a ``WebPage``: a page in a new
  browser context whose socket frames are recorded, whose uncaught errors and CSP violations fail the
  test, and whose ``shot(step)`` saves ``artifacts/browser/<test>/<nn>-<step>.png``.
"""
from __future__ import annotations

import re
import shutil

import pytest

from infra.manifest import ROOT
from tests.stack.launcher import StackProcess
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.support.e2e_stacks import start_local_stack
from tests.web.page import WebPage

ARTIFACTS = ROOT / "artifacts" / "browser"


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def web_stack(tmp_path_factory, browser) -> StackProcess:
    process = start_local_stack(tmp_path_factory.mktemp("web-stack"), 0)
    yield process
    assert process.stop() == 0, process.output()


@pytest.fixture(scope="module")
def short_session_stack(tmp_path_factory, browser) -> StackProcess:
    process = start_local_stack(tmp_path_factory.mktemp("web-short-session"), 0, ACCESS_TOKEN_TTL_S="4",
                                REFRESH_TOKEN_TTL_S="2")
    yield process
    assert process.stop() == 0, process.output()


@pytest.fixture(scope="module")
def short_token_stack(tmp_path_factory, browser) -> StackProcess:
    process = start_local_stack(tmp_path_factory.mktemp("web-short-token"), 0, ACCESS_TOKEN_TTL_S="3")
    yield process
    assert process.stop() == 0, process.output()


@pytest.fixture
def open_page(browser, request):
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    pages: list[WebPage] = []

    def open_(base_url: str, width: int = 1280, height: int = 900) -> WebPage:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = WebPage(context, base_url, folder, prefix=f"p{len(pages) + 1}-" if pages else "")
        pages.append(page)
        return page

    yield open_
    failures = [problem for page in pages for problem in page.problems]
    for page in pages:
        page.context.close()
    assert not failures, f"the page reported errors: {failures}"
