"""The golden path in a real browser: sign up, load the demo data, ask, watch the agents, read the answer
with its tables and charts, reload and find it again, stop an answer, survive a dropped socket, log out."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.e2e.client import CRITICAL, in_order, is_closing
from tests.support.identity import unique_email
from tests.web.page import LONG_S, WebPage, seq

pytestmark = [pytest.mark.browser, pytest.mark.slow]

QUESTION = "where is my money going this month?"
SAVINGS = "How can I spend less?"

# Records, in the page, the order in which progress lines and the answer appeared in the last answer.
RECORD_APPEARANCE = """() => {
  window.appearance = [];
  new MutationObserver((changes) => {
    for (const change of changes) for (const added of change.addedNodes) {
      if (added.nodeType !== 1) continue;
      if (added.matches('.progress li')) window.appearance.push(added.dataset.type);
      if (added.matches('.markdown')) window.appearance.push('answer');
    }
  }).observe(document.getElementById('messages'), {childList: true, subtree: true});
}"""

# A user's click on Stop, made the moment the button appears (a run on 20,000 records takes well under a
# second here, too quick for a click from outside the page to be sure to land while it runs).
CLICK_STOP_WHEN_SHOWN = """() => {
  const stop = document.getElementById('stop');
  new MutationObserver((_, observer) => {
    if (!stop.hidden) { observer.disconnect(); stop.click(); }
  }).observe(stop, {attributes: true, attributeFilter: ['hidden']});
}"""

# Drops the socket (as a network failure would) once the newest answer shows three progress lines.
DROP_AFTER_THREE_EVENTS = """() => {
  const messages = document.getElementById('messages');
  const observer = new MutationObserver(() => {
    const answers = messages.querySelectorAll('.message.assistant');
    const last = answers[answers.length - 1];
    if (last && last.querySelectorAll('.progress li').length >= 3) {
      observer.disconnect();
      window.droppedAfter = Array.from(last.querySelectorAll('.progress li'), (li) => li.dataset.eventId);
      window.tokenwise.dropSocket();
    }
  });
  observer.observe(messages, {childList: true, subtree: true});
}"""


def dollars(value: float) -> str:
    """As the page writes amounts (charts.js)."""
    if 0 < value < 0.01:
        return "under $0.0001" if value < 0.00005 else f"${value:.4f}"
    return f"${value:,.2f}"


def closing_payload(web: WebPage, run_id: str) -> dict:
    events = web.events(run_id)
    assert events and is_closing(events[-1]), [e["type"] for e in events]
    return events[-1]["payload"]


def check_answer_and_charts(web: WebPage, index: int) -> dict:
    """The answer's markdown, its tables and both charts, figure for figure as the server sent them."""
    message = web.assistant(index)
    result = closing_payload(web, web.run_id(index))["result"]
    expect(message.locator(".markdown")).to_contain_text("Where your LLM spend went")
    markdown_table = message.locator(".markdown table").first
    expect(markdown_table.locator("thead")).to_contain_text("Model")
    top = result["data"]["by_model"][0]
    expect(markdown_table.locator("tbody tr").first).to_contain_text(top["model"])
    by_model, by_day = result["data"]["by_model"], result["data"]["by_day"]
    model_chart = message.locator("figure[data-chart=by-model]")
    expect(model_chart.locator("figcaption")).to_have_text("Spend by model")
    expect(model_chart.locator("rect.bar")).to_have_count(min(8, len(by_model)))
    label = model_chart.locator("svg").get_attribute("aria-label")
    for row in by_model:
        assert f"{row['model']} {dollars(row['cost_usd'])}" in label
    day_chart = message.locator("figure[data-chart=by-day]")
    expect(day_chart.locator("rect.bar")).to_have_count(len(by_day))
    expect(day_chart.locator("rect.bar title").first).to_have_text(
        f"{by_day[0]['day']}: {dollars(by_day[0]['cost_usd'])}")
    return result


def check_recommendations(web: WebPage, index: int) -> list[dict]:
    message = web.assistant(index)
    recommendations = closing_payload(web, web.run_id(index))["result"]["optimization"]["recommendations"]
    assert recommendations, "the demo data should yield recommendations"
    table = message.locator("table.recs")
    expect(table.locator("thead th")).to_have_text(["Lever", "Monthly saving", "% of spend", "Confidence",
                                                    "Evidence"])
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(recommendations))
    for i, rec in enumerate(recommendations):
        expect(rows.nth(i)).to_have_attribute("data-lever", rec["lever"])
        expect(rows.nth(i).locator("td")).to_have_text([
            f"{rec['title']}{rec['lever']}", dollars(rec["monthly_savings_usd"]), f"{rec['savings_pct']:.1f}%",
            f"{round(rec['confidence'] * 100)}%", f"{rec['evidence']['records']:,} records"])
    return recommendations


def check_progress_matches_stream(web: WebPage, index: int) -> list[dict]:
    """One progress line per event of the run, in order, none missing and none twice."""
    lines = web.progress(index)
    events = sorted({e["event_id"]: e for e in web.events(web.run_id(index))}.values(), key=lambda e: seq(e["event_id"]))
    assert [line["event_id"] for line in lines] == [e["event_id"] for e in events]
    assert [seq(line["event_id"]) for line in lines] == list(range(1, len(lines) + 1))
    assert (lines[0]["type"], lines[0]["agent"]) == ("agent_started", "supervisor")
    assert (lines[-1]["type"], lines[-1]["agent"]) == ("agent_completed", "supervisor")
    return lines


def test_the_golden_path_in_a_browser(web_stack, open_page):
    web = open_page(web_stack.base_url)
    page = web.page
    email = unique_email("browser")

    # Sign up.
    web.goto()
    expect(page.locator("#auth-view")).to_be_visible()
    web.shot("log-in-page")
    web.sign_up(email)
    expect(page.locator("#account-email")).to_have_text(email)
    web.shot("signed-up")

    # Load the demo data.
    loaded = web.load_demo()
    assert (loaded["imported"], loaded["duplicates"], loaded["rejected"]) == (20_000, 0, 0)
    expect(page.locator("#import-result .summary")).to_have_text(
        "Imported 20,000 rows, 0 already stored, 0 rejected.")
    web.shot("demo-data-loaded")

    # Ask; the five critical events appear as they stream, before the answer.
    page.evaluate(RECORD_APPEARANCE)
    web.ask(QUESTION)
    expect(web.assistant(0).locator(".progress li").first).to_be_attached(timeout=LONG_S)
    web.wait_finished(0)
    appearance = page.evaluate("window.appearance")
    assert in_order(appearance, CRITICAL), appearance
    assert appearance.index("answer") > appearance.index("tool_completed")
    lines = check_progress_matches_stream(web, 0)
    assert in_order([line["type"] for line in lines], CRITICAL)
    tool_done = next(line for line in lines if line["type"] == "tool_completed")
    assert " finished in " in tool_done["text"]
    thinking = next(line for line in lines if line["type"] == "agent_thinking")
    assert "thinking: " in thinking["text"]
    web.assistant(0).locator(".steps summary").click()  # open the steps for the screenshot
    web.shot("agent-steps", full_page=True)

    # The answer, its table and its charts.
    check_answer_and_charts(web, 0)
    web.shot("answer-table-and-charts", full_page=True)
    thread_id = web.frames("message_received")[0]["thread_id"]
    expect(page.locator("#thread-list button").first).to_have_text(QUESTION)
    assert page.url.endswith(f"#thread={thread_id}")

    # A question that yields recommendations, in the same thread.
    web.ask(SAVINGS)
    web.wait_finished(1)
    assert web.frames("message_received")[1]["thread_id"] == thread_id
    recommendations = check_recommendations(web, 1)
    web.shot("recommendations", full_page=True)

    # Reload: the thread and its messages are still there, answers rendered from history.
    page.reload()
    web.wait_connected()
    expect(page.locator(".message.user .text")).to_have_text([QUESTION, SAVINGS])
    expect(web.assistant(1).locator("table.recs tbody tr")).to_have_count(len(recommendations))
    expect(web.assistant(0).locator("figure[data-chart=by-model]")).to_be_visible()
    expect(page.locator("#thread-list button[aria-current=true]")).to_have_text(QUESTION)
    web.shot("after-reload", full_page=True)

    # Stop a running answer: it ends cancelled, with no answer.
    page.evaluate(CLICK_STOP_WHEN_SHOWN)
    web.ask(SAVINGS)
    stopped = web.wait_finished(2, "cancelled")
    expect(stopped.locator(".run-status")).to_have_text("Stopped. No answer for this question.")
    stop_run = web.run_id(2)
    assert [f["run_id"] for f in web.frames("stop_requested")] == [stop_run]
    assert closing_payload(web, stop_run)["status"] == "cancelled"
    stop_lines = web.progress(2)
    assert [(line["type"], line["agent"]) for line in stop_lines[-2:]] == [
        ("agent_error", "supervisor"), ("agent_completed", "supervisor")]
    expect(page.locator("#stop")).to_be_hidden()
    web.shot("stopped", full_page=True)

    # Drop the socket mid-answer: the page reconnects, resumes, and shows every event exactly once.
    sockets_before = len(web.sockets)
    page.evaluate(DROP_AFTER_THREE_EVENTS)
    web.ask(SAVINGS)
    web.wait_finished(3)
    dropped_after = page.evaluate("window.droppedAfter")
    assert len(dropped_after) == 3
    assert len(web.sockets) == sockets_before + 1
    first, second = web.sockets[-2], web.sockets[-1]
    resumed_run = web.run_id(3)
    assert first.closed and not any(is_closing(f) for f in first.received if f.get("run_id") == resumed_run)
    resumes = [f for f in second.sent if f["type"] == "resume"]
    assert resumes == [{"type": "resume", "run_id": resumed_run, "last_event_id": dropped_after[-1]}]
    assert [f["run_id"] for f in second.received if f["type"] == "resumed"] == [resumed_run]
    check_progress_matches_stream(web, 3)
    check_recommendations(web, 3)
    web.shot("resumed-after-drop", full_page=True)

    # Log out: back to the log-in page, and the refresh token is revoked on the server.
    refresh_token = web.refresh_token()
    assert refresh_token
    page.click("#logout")
    expect(page.locator("#auth-view")).to_be_visible()
    expect(page.locator("#banner")).to_have_text("You are logged out.")
    assert web.refresh_token() is None
    refused = requests.post(f"{web_stack.base_url}/auth/refresh", json={"refresh_token": refresh_token}, timeout=30)
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "session_revoked")
    web.shot("logged-out")
    page.reload()
    expect(page.locator("#auth-view")).to_be_visible()
