"""Contract cases of the chat container: the socket handshake, the threads API, tickets and the web page."""
from __future__ import annotations

import time

from tests.e2e.client import ask
from tests.openapi.cases import case
from tests.support.contract_api import Account, Api

SOCKETS = ("/ws", "/api/v1/websocket")


def chat_thread(api: Api, account: Account, question: str = "What did we spend on gpt-4o last week?") -> str:
    """A thread made the way the page makes one: a question over the socket, answered and stored."""
    with api.socket(subprotocols=[f"jwt.{account.access_token}"]) as ws:
        exchange = ask(ws, question)
    thread_id = exchange.received["thread_id"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # history is written behind the socket; wait until both turns are stored
        stored = api.stack.http.get(f"{api.stack.base_url}/api/threads/{thread_id}/messages",
                                    headers=account.bearer(), timeout=10)
        if stored.status_code == 200 and len(stored.json()["messages"]) == 2:
            return thread_id
        time.sleep(0.05)
    raise AssertionError(f"thread {thread_id} was not stored: {stored.status_code} {stored.text[:300]}")


def _register_socket(path: str) -> None:
    @case("get", path, 101)
    def open_with_the_token_as_subprotocol(api: Api):
        account = api.register()
        with api.socket(path, subprotocols=[f"jwt.{account.access_token}"]) as ws:
            assert ws.subprotocol == f"jwt.{account.access_token}"

    @case("get", path, 101)
    def open_with_a_ticket(api: Api):
        account = api.register()
        ticket = api.call("POST", "/api/ws/ticket", 200, headers=account.bearer()).json()["ticket"]
        with api.socket(f"{path}?ticket={ticket}", subprotocols=["tokenwise.v1"]) as ws:
            assert ws.subprotocol == "tokenwise.v1"

    @case("get", path, 101)
    def open_with_a_bearer_header(api: Api):
        account = api.register()
        with api.socket(path, headers=account.bearer()) as ws:
            assert ws.subprotocol is None

    @case("get", path, 401)
    def handshake_without_a_token(api: Api):
        assert api.refused_socket(path, 401)["error"]["code"] == "missing_token"

    @case("get", path, 401)
    def handshake_with_a_used_ticket(api: Api):
        account = api.register()
        ticket = api.call("POST", "/api/ws/ticket", 200, headers=account.bearer()).json()["ticket"]
        with api.socket(f"{path}?ticket={ticket}"):
            pass
        assert api.refused_socket(f"{path}?ticket={ticket}", 401)["error"]["code"] == "invalid_ticket"

    @case("get", path, 503)
    def ticket_with_the_database_down(api: Api):
        with api.database_down():
            body = api.refused_socket(f"{path}?ticket=QmFkVGlja2V0VGhhdERvZXNOb3RNYXR0ZXI", 503)
        assert body["error"]["code"] == "database_unavailable"

    @case("get", path, 400)
    def plain_get_without_an_upgrade(api: Api):
        account = api.register()
        body = api.call("GET", path, 400, headers=account.bearer()).json()
        assert body["error"]["code"] == "websocket_upgrade_required"


for _path in SOCKETS:
    _register_socket(_path)


@case("get", "/api/threads", 200)
def list_my_threads(api: Api):
    account, other = api.register(), api.register()
    mine = chat_thread(api, account)
    chat_thread(api, other)
    threads = api.call("GET", "/api/threads?limit=10", 200, headers=account.bearer()).json()["threads"]
    assert [t["id"] for t in threads] == [mine]


@case("get", "/api/threads", 200)
def no_threads_yet(api: Api):
    account = api.register()
    assert api.call("GET", "/api/threads", 200, headers=account.bearer()).json() == {"threads": []}


@case("get", "/api/threads", 401)
def threads_without_a_token(api: Api):
    assert api.call("GET", "/api/threads", 401).json()["error"]["code"] == "missing_token"


@case("get", "/api/threads", 422)
def threads_with_a_page_too_large(api: Api):
    account = api.register()
    body = api.call("GET", "/api/threads?limit=500", 422, headers=account.bearer()).json()
    assert body["error"]["details"]["fields"] == {"limit": "an integer from 1 to 200"}


@case("get", "/api/threads", 503)
def threads_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("GET", "/api/threads", 503, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"


@case("get", "/api/threads/{thread_id}/messages", 200)
def read_a_thread(api: Api):
    account = api.register()
    thread_id = chat_thread(api, account, "How much did we spend yesterday?")
    body = api.call("GET", f"/api/threads/{thread_id}/messages", 200, headers=account.bearer()).json()
    assert body["thread"]["id"] == thread_id
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][0]["content"] == "How much did we spend yesterday?"


@case("get", "/api/threads/{thread_id}/messages", 401)
def thread_without_a_token(api: Api):
    assert api.call("GET", "/api/threads/abc/messages", 401).json()["error"]["code"] == "missing_token"


@case("get", "/api/threads/{thread_id}/messages", 404)
def someone_elses_thread(api: Api):
    owner, intruder = api.register(), api.register()
    thread_id = chat_thread(api, owner)
    body = api.call("GET", f"/api/threads/{thread_id}/messages", 404, headers=intruder.bearer()).json()
    assert body["error"] == {"code": "not_found", "message": "There is no such thread.",
                             "details": {"thread_id": thread_id}}


@case("get", "/api/threads/{thread_id}/messages", 503)
def thread_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("GET", "/api/threads/abc/messages", 503, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"


@case("delete", "/api/threads/{thread_id}", 204)
def delete_a_thread(api: Api):
    account = api.register()
    thread_id = chat_thread(api, account)
    api.call("DELETE", f"/api/threads/{thread_id}", 204, headers=account.bearer())
    api.call("GET", f"/api/threads/{thread_id}/messages", 404, headers=account.bearer())


@case("delete", "/api/threads/{thread_id}", 401)
def delete_without_a_token(api: Api):
    assert api.call("DELETE", "/api/threads/abc", 401).json()["error"]["code"] == "missing_token"


@case("delete", "/api/threads/{thread_id}", 404)
def delete_a_missing_thread(api: Api):
    account = api.register()
    assert api.call("DELETE", "/api/threads/no-such-thread", 404,
                    headers=account.bearer()).json()["error"]["code"] == "not_found"


@case("delete", "/api/threads/{thread_id}", 503)
def delete_with_the_database_down(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("DELETE", "/api/threads/abc", 503, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"


@case("post", "/api/ws/ticket", 200)
def get_a_ticket(api: Api):
    account = api.register()
    body = api.call("POST", "/api/ws/ticket", 200, headers=account.bearer()).json()
    assert body["expires_in"] == 30 and len(body["ticket"]) >= 40


@case("post", "/api/ws/ticket", 401)
def ticket_without_a_token(api: Api):
    assert api.call("POST", "/api/ws/ticket", 401).json()["error"]["code"] == "missing_token"


@case("post", "/api/ws/ticket", 503)
def ticket_with_the_database_down_cannot_be_stored(api: Api):
    account = api.register()
    with api.database_down():
        body = api.call("POST", "/api/ws/ticket", 503, headers=account.bearer()).json()
    assert body["error"]["code"] == "database_unavailable"


@case("get", "/", 200)
def the_page(api: Api):
    response = api.call("GET", "/", 200)
    assert "<html" in response.text.lower() and response.headers["Cache-Control"] == "no-cache"


@case("get", "/", 304)
def the_page_unchanged(api: Api):
    etag = api.call("GET", "/", 200).headers["ETag"]
    api.call("GET", "/", 304, headers={"If-None-Match": etag})


@case("get", "/static/{name}", 200)
def the_page_files(api: Api):
    for name, media in (("app.js", "text/javascript"), ("app.css", "text/css"), ("favicon.svg", "image/svg+xml")):
        response = api.call("GET", f"/static/{name}", 200)
        assert response.headers["Content-Type"].split(";")[0] == media


@case("get", "/static/{name}", 304)
def a_page_file_unchanged(api: Api):
    etag = api.call("GET", "/static/app.js", 200).headers["ETag"]
    api.call("GET", "/static/app.js", 304, headers={"If-None-Match": etag})


@case("get", "/static/{name}", 404)
def a_missing_file(api: Api):
    assert api.call("GET", "/static/missing.js", 404).json()["error"]["code"] == "not_found"
    assert api.call("GET", "/static/..%2Fapp.py", 404).json()["error"]["code"] == "not_found"
