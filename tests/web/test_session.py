"""Sessions in the browser: an expired or revoked session sends the user back to log in with a message,
and tokens live where the page says (access token in memory only, refresh token in sessionStorage)."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from tests.support.identity import unique_email
from tests.web.page import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXPIRED = "Your session has expired. Please log in again."
ENDED = "Your session was ended (logged out elsewhere or revoked). Please log in again."


def test_an_expired_session_goes_back_to_log_in_with_a_message(short_session_stack, open_page):
    # Access tokens last 4 s and refresh sessions 2 s: the socket closes with 4401 when the access token
    # expires, the page tries to renew the session, and the server refuses: the session is over.
    web = open_page(short_session_stack.base_url)
    web.goto()
    web.sign_up(unique_email("expiry"))
    web.shot("signed-in")
    expect(web.page.locator("#auth-view")).to_be_visible(timeout=30_000)
    expect(web.page.locator("#banner")).to_have_text(EXPIRED)
    expect(web.page.locator("#app-view")).to_be_hidden()
    assert web.refresh_token() is None
    assert [log.closed for log in web.sockets] == [True] * len(web.sockets)
    expect(web.page.locator("#auth-email")).to_be_focused()
    web.shot("expired")


def test_an_expiring_access_token_is_renewed_without_the_user_noticing(short_token_stack, open_page):
    # Access tokens last 3 s: the server closes the socket with 4401 when one expires; the page renews the
    # session with its refresh token and reconnects, and the user stays in the chat.
    web = open_page(short_token_stack.base_url)
    web.goto()
    web.sign_up(unique_email("renew"))
    first_refresh = web.refresh_token()
    for _ in range(80):  # two expiries: three sockets in all
        if len(web.sockets) >= 3:
            break
        web.page.wait_for_timeout(250)
    assert len(web.sockets) >= 3, [log.url for log in web.sockets]
    expect(web.page.locator("#app-view")).to_be_visible()
    expect(web.page.locator("#connection")).to_have_text("Connected", timeout=20_000)
    assert all(log.closed for log in web.sockets[:-1])
    assert web.refresh_token() not in (None, first_refresh)  # rotated on each renewal
    web.ask("How much did we spend by model last week?")
    web.wait_finished(0)
    expect(web.page.locator("#banner")).to_be_hidden()


def test_a_session_revoked_elsewhere_goes_back_to_log_in_on_reload(web_stack, open_page):
    web = open_page(web_stack.base_url)
    web.goto()
    email = unique_email("revoked")
    web.sign_up(email)
    # Someone else uses this tab's refresh token: the server takes the page's next refresh for theft.
    stolen = requests.post(f"{web_stack.base_url}/auth/refresh", json={"refresh_token": web.refresh_token()},
                           timeout=30)
    assert stolen.status_code == 200
    web.page.reload()
    expect(web.page.locator("#auth-view")).to_be_visible(timeout=30_000)
    expect(web.page.locator("#banner")).to_have_text(ENDED)
    assert web.refresh_token() is None
    web.shot("revoked")
    web.log_in(email, PASSWORD)  # a new session works at once
    expect(web.page.locator("#banner")).to_be_hidden()


def test_the_access_token_is_kept_in_memory_only(web_stack, open_page):
    web = open_page(web_stack.base_url)
    web.goto()
    web.sign_up(unique_email("storage"))
    stored = web.page.evaluate("""() => ({
      session: Object.fromEntries(Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)])),
      local: Object.keys(localStorage), cookies: document.cookie })""")
    assert set(stored["session"]) == {"tokenwise.refresh", "tokenwise.user"}
    assert stored["local"] == [] and stored["cookies"] == ""
    # The one stored token is a refresh token: it cannot be used as a Bearer access token.
    response = requests.get(f"{web_stack.base_url}/api/threads", timeout=30,
                            headers={"Authorization": f"Bearer {stored['session']['tokenwise.refresh']}"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "wrong_token_type")
    # No token travels in a URL: the socket opens with a one-time ticket.
    assert all("ticket=" in log.url and "jwt" not in log.url for log in web.sockets)
