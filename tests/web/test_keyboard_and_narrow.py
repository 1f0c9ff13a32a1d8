"""Keyboard-only use, a name on every control, and a narrow phone-sized screen without sideways scrolling."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.identity import unique_email
from tests.web.page import PASSWORD, WebPage

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "Where is my money going this month?"

# A short description of the focused element: its id, or its tag and text.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  return el.id || `${el.tagName.toLowerCase()}:${el.textContent.trim()}`;
}"""

# Every visible control without an accessible name (a label, aria-label or text).
UNNAMED = """() => Array.from(document.querySelectorAll('input, textarea, select, button, summary, a[href]'))
  .filter((el) => el.offsetParent !== null || el.getClientRects().length)
  .filter((el) => {
    const label = el.labels && Array.from(el.labels).map((l) => l.textContent.trim()).join('');
    return !(label || el.getAttribute('aria-label') || (el.type !== 'file' && el.textContent.trim()));
  })
  .map((el) => el.outerHTML.slice(0, 120))"""


def tab_order(web: WebPage, limit: int = 60) -> list[str]:
    """The focus stops met by pressing Tab from the top of the page to its end.

    Past the last stop, Tab leaves the page (nothing in it is focused), and the next Tab starts at the top.
    """
    for _ in range(limit):
        web.page.keyboard.press("Tab")
        if web.page.evaluate(FOCUSED) is None:
            break
    seen: list[str] = []
    for _ in range(limit):
        web.page.keyboard.press("Tab")
        focused = web.page.evaluate(FOCUSED)
        if focused is None:
            return seen
        seen.append(focused)
    raise AssertionError(f"Tab never left the page: {seen}")


def tab_to(web: WebPage, element_id: str, limit: int = 60) -> None:
    for _ in range(limit):
        if web.page.evaluate(FOCUSED) == element_id:
            return
        web.page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def test_keyboard_only_sign_up_import_ask_and_log_out(web_stack, open_page):
    web = open_page(web_stack.base_url)
    page = web.page
    web.goto()
    assert tab_order(web) == ["auth-email", "auth-password", "auth-submit", "auth-toggle"]
    assert page.evaluate(UNNAMED) == []
    tab_to(web, "auth-toggle")
    page.keyboard.press("Enter")
    expect(page.locator("#auth-submit")).to_have_text("Sign up")
    assert tab_order(web) == ["auth-email", "auth-password", "auth-name", "auth-submit", "auth-toggle"]
    tab_to(web, "auth-email")
    page.keyboard.type(unique_email("keyboard"))
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type("Keys Only")
    page.keyboard.press("Enter")
    web.wait_connected()
    expect(page.locator("#composer-input")).to_be_focused()
    web.shot("signed-up-by-keyboard")

    assert tab_order(web) == ["skip", "logout", "new-thread", "import-file", "import-upload", "load-demo",
                              "button:Where is my money going this month?", "button:How can I spend less?",
                              "composer-input", "send"]
    assert page.evaluate(UNNAMED) == []

    tab_to(web, "load-demo")
    page.keyboard.press("Enter")
    expect(page.locator("#import-result")).to_have_attribute("data-state", "done", timeout=90_000)

    tab_to(web, "composer-input")
    page.keyboard.type("first line")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    assert page.input_value("#composer-input") == "first line\nsecond line"
    assert page.locator(".message").count() == 0  # Shift+Enter does not send
    page.keyboard.press("Control+A")
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    web.wait_finished(0)
    expect(page.locator(".message.user .text")).to_have_text([QUESTION])
    expect(page.locator("#composer-input")).to_have_value("")
    web.shot("answered-by-keyboard")

    order = tab_order(web)
    assert order[:3] == ["skip", "logout", "new-thread"]
    assert f"button:{QUESTION}" in order  # the new thread in the list
    steps = len(web.progress(0))
    assert [o for o in order if o.startswith("summary:")] == [f"summary:Agent steps ({steps})"]
    assert order[-2:] == ["composer-input", "send"]
    assert page.evaluate(UNNAMED) == []

    # The skip link jumps to the question box.
    tab_to(web, "skip")
    page.keyboard.press("Enter")
    expect(page.locator("#composer-input")).to_be_focused()

    tab_to(web, "logout")
    page.keyboard.press("Enter")
    expect(page.locator("#auth-view")).to_be_visible()
    expect(page.locator("#auth-email")).to_be_focused()


def check_fits(web: WebPage, width: int) -> None:
    assert web.no_horizontal_overflow(), web.page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    for selector in ("#composer-input", "#send", "#logout", "#load-demo"):
        box = web.page.locator(selector).bounding_box()
        if box is not None:
            assert box["x"] >= 0 and box["x"] + box["width"] <= width, (selector, box)


def test_a_narrow_screen_has_no_sideways_scrolling(web_stack, open_page):
    width, height = 375, 740
    web = open_page(web_stack.base_url, width=width, height=height)
    web.goto()
    assert web.no_horizontal_overflow()
    web.shot("narrow-log-in")
    web.sign_up(unique_email("narrow"))
    check_fits(web, width)
    web.shot("narrow-app")
    web.load_demo()
    web.ask("How can I spend less?")
    answer = web.wait_finished(0)
    expect(answer.locator("table.recs")).to_be_attached()
    expect(answer.locator("figure[data-chart=by-day]")).to_be_visible()
    check_fits(web, width)
    # Wide tables scroll inside their own box, not the page.
    wrap = answer.locator(".table-wrap").first
    assert wrap.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    chart = answer.locator("figure[data-chart=by-model] svg").bounding_box()
    assert chart["x"] >= 0 and chart["x"] + chart["width"] <= width
    web.shot("narrow-answer")
    web.shot("narrow-answer-full", full_page=True)
