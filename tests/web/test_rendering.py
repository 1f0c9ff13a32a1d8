"""What the page renders from text it does not control: markdown answers and the user's own words never
become markup, and the markdown subset the answers use comes out as the right elements."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.identity import unique_email

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RENDER = "async (source) => (await import('/static/markdown.js')).renderMarkdown(source)"
HOSTILE = '<img src=x onerror="window.pwned = 1"><script>window.pwned = 2</script>'


@pytest.fixture
def page(web_stack, open_page):
    web = open_page(web_stack.base_url)
    web.goto()
    return web.page


def test_markdown_escapes_markup_everywhere(page):
    html = page.evaluate(RENDER, f"# {HOSTILE}\n\n{HOSTILE} **{HOSTILE}**\n\n- `{HOSTILE}`\n\n| a |\n|---|\n| {HOSTILE} |")
    assert "<img" not in html and "<script" not in html
    assert html.count("&lt;img src=x onerror=&quot;window.pwned = 1&quot;&gt;") == 5


def test_markdown_subset(page):
    source = ("### Title\n\n#### Part\n\nSome **bold**, *italic* and `code`.\nSame paragraph.\n\n"
              "1. **First** item\n   - Method: nested\n   - Risk: nested too\n2. Second item\n\n"
              "| Model | Spend |\n|---|---|\n| `gpt-5.4` | $1.00 |\n\n```\nraw <b>\n```")
    html = page.evaluate(RENDER, source)
    assert html.split("\n") == [
        "<h3>Title</h3>",
        "<h4>Part</h4>",
        "<p>Some <strong>bold</strong>, <em>italic</em> and <code>code</code>. Same paragraph.</p>",
        "<ol><li><strong>First</strong> item<ul><li>Method: nested</li><li>Risk: nested too</li></ul></li>"
        "<li>Second item</li></ol>",
        '<div class="table-wrap"><table><thead><tr><th scope="col">Model</th><th scope="col">Spend</th></tr>'
        "</thead><tbody><tr><td><code>gpt-5.4</code></td><td>$1.00</td></tr></tbody></table></div>",
        "<pre><code>raw &lt;b&gt;</code></pre>",
    ]


def test_a_hostile_question_is_shown_as_text(web_stack, open_page):
    web = open_page(web_stack.base_url)
    web.goto()
    web.sign_up(unique_email("hostile"))
    web.ask(HOSTILE)
    web.wait_finished(0)
    expect(web.page.locator(".message.user .text")).to_have_text([HOSTILE])
    expect(web.page.locator("#thread-list button").first).to_have_text(HOSTILE[:80])
    assert web.page.evaluate("window.pwned") is None
    assert web.page.locator(".messages img, .messages script, #thread-list img").count() == 0
