"""The thread list: newest activity first, each thread opens with its own messages, and asking in an older
thread brings it back to the top."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.identity import unique_email

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIRST = "Which model costs the most?"
SECOND = "What did support_agent cost last week?"
AGAIN = "And the week before?"


def test_threads_are_listed_newest_first_and_open_with_their_messages(web_stack, open_page):
    web = open_page(web_stack.base_url)
    page = web.page
    threads = page.locator("#thread-list button")
    web.goto()
    web.sign_up(unique_email("threads"))
    expect(page.locator("#threads-empty")).to_be_visible()

    web.ask(FIRST)
    web.wait_finished(0)
    page.click("#new-thread")
    expect(page.locator(".message")).to_have_count(0)
    expect(page.locator("#composer-input")).to_be_focused()
    web.ask(SECOND)
    web.wait_finished(0)
    expect(threads).to_have_text([SECOND, FIRST])
    expect(page.locator("#threads-empty")).to_be_hidden()
    expect(threads.nth(0)).to_have_attribute("aria-current", "true")

    threads.nth(1).click()
    expect(page.locator(".message.user .text")).to_have_text([FIRST])
    expect(web.assistant(0)).to_have_attribute("data-status", "completed")
    expect(page.locator("#thread-list button[aria-current=true]")).to_have_text(FIRST)
    first_thread = web.frames("message_received")[0]["thread_id"]
    assert page.url.endswith(f"#thread={first_thread}")

    web.ask(AGAIN)
    web.wait_finished(1)
    assert web.frames("message_received")[-1]["thread_id"] == first_thread
    expect(threads).to_have_text([FIRST, SECOND])
    expect(page.locator(".message.user .text")).to_have_text([FIRST, AGAIN])
    web.shot("threads")
