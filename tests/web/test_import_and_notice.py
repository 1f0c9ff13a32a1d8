"""Importing a file shows what was stored and every rejected row with its reason; a chat during a database
outage shows the server's notice that history is not being saved, and keeps answering."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from shared.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.support.identity import unique_email
from tests.support.usage_import import to_csv
from tests.usage.test_import_formats import OURS, ours

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROWS = [
    ours("web-1"),
    ours("web-2", timestamp="yesterday-ish"),
    ours("web-3", model="claude-haiku-4-5", provider="anthropic"),
    ours("web-4", prompt_tokens=-5),
    ours("web-5", feature="search"),
]


def choose_file(page, name: str, body: bytes, mime: str = "text/csv") -> None:
    page.set_input_files("#import-file", files=[{"name": name, "mimeType": mime, "buffer": body}])


def test_a_file_import_lists_its_rejected_rows_and_a_second_import_stores_nothing_twice(web_stack, open_page):
    web = open_page(web_stack.base_url)
    page = web.page
    web.goto()
    web.sign_up(unique_email("import"))

    page.click("#import-upload")
    expect(page.locator("#import-result")).to_have_text("Choose a CSV or JSON Lines file first.")
    expect(page.locator("#import-file")).to_be_focused()

    choose_file(page, "usage.csv", to_csv(ROWS, OURS))
    with page.expect_response(lambda r: r.url.endswith("/api/usage/import")) as answer:
        page.click("#import-upload")
    report = answer.value.json()
    assert (report["imported"], report["rejected"]) == (3, 2)
    result = page.locator("#import-result")
    expect(result).to_have_attribute("data-state", "done")
    expect(result.locator(".summary")).to_have_text("Imported 3 rows, 0 already stored, 2 rejected.")
    rows = result.locator("table.rejected tbody tr")
    expect(rows).to_have_count(2)
    for i, error in enumerate(report["errors"]):
        expect(rows.nth(i).locator("td")).to_have_text([str(error["row"]), error["field"], error["reason"]])
    assert {error["field"] for error in report["errors"]} == {"timestamp", "prompt_tokens"}
    web.shot("import-with-rejected-rows")

    with page.expect_response(lambda r: r.url.endswith("/api/usage/import")):
        page.click("#import-upload")
    expect(result.locator(".summary")).to_have_text("Imported 0 rows, 3 already stored, 2 rejected.")

    choose_file(page, "other.csv", b"when,what\n2026-11-01,1\n")
    with page.expect_response(lambda r: r.url.endswith("/api/usage/import")) as refused:
        page.click("#import-upload")
    assert refused.value.status == 422
    expect(result).to_have_attribute("data-state", "failed")
    expect(result.locator(".error")).to_have_text(f"The import failed: {refused.value.json()['error']['message']}")
    web.shot("import-refused")


def test_the_history_notice_shows_when_the_database_goes_away(pg_stack, open_page):
    web = open_page(pg_stack.client.base_url)
    page = web.page
    web.goto()
    web.log_in(DEMO_EMAIL, DEMO_PASSWORD)
    expect(page.locator("#notice")).to_be_hidden()
    pg_stack.proxy.cut()
    try:
        web.ask("How much did we spend by model last week?")
        notice = page.locator("#notice")
        expect(notice).to_be_visible(timeout=30_000)
        sent = web.frames("notice")
        assert [n["code"] for n in sent] == ["history_not_saved"]
        expect(page.locator("#notice-text")).to_have_text(sent[0]["message"])
        answer = web.wait_finished(0)
        expect(answer.locator(".markdown")).to_contain_text("unavailable")
        web.shot("history-not-saved")
    finally:
        pg_stack.proxy.restore()
    assert len(web.sockets) == 1 and not web.sockets[0].closed  # the chat went on over the same socket
    page.click("#notice-dismiss")
    expect(page.locator("#notice")).to_be_hidden()
    expect(page.locator("#composer-input")).to_be_focused()
