"""The chat container serves the page: index at /, its files under /static, strict headers, nothing else."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import requests

from functions.chat.web import CONTENT_SECURITY_POLICY, STATIC_DIR
from tests.chat.pipelines import quick_pipeline
from tests.support.chat_server import ChatServer

EXPECTED_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                  ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml"}


@pytest.fixture
def server(sqlite_db):
    chat = ChatServer.start(quick_pipeline)
    yield chat
    chat.stop()


def get(server, path: str, **kwargs) -> requests.Response:
    return requests.get(server.url + path, timeout=10, **kwargs)


class Tags(HTMLParser):
    """Every tag of a document with its attributes, and the text inside each script element."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.script_text.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.script_text[-1] += data


def test_the_index_is_served_at_the_root_with_strict_headers(server):
    response = get(server, "/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY and "connect-src 'self' ws: wss:" in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY and "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.text == (STATIC_DIR / "index.html").read_text()


def test_every_static_file_has_its_type_and_the_same_headers(server):
    files = sorted(p for p in STATIC_DIR.iterdir() if p.is_file())
    assert {p.suffix for p in files} <= set(EXPECTED_TYPES)
    for path in files:
        response = get(server, f"/static/{path.name}")
        assert response.status_code == 200, path.name
        assert response.headers["Content-Type"] == EXPECTED_TYPES[path.suffix], path.name
        assert response.headers["Cache-Control"] == "no-cache"
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert response.content == path.read_bytes()


def test_an_unchanged_file_is_a_304_by_its_etag(server):
    first = get(server, "/static/app.js")
    etag = first.headers["ETag"]
    again = get(server, "/static/app.js", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert get(server, "/", headers={"If-None-Match": get(server, "/").headers["ETag"]}).status_code == 304


def test_head_answers_headers_only(server):
    response = requests.head(server.url + "/", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.content == b""


@pytest.mark.parametrize("path", ["/static/missing.js", "/static/App.js", "/static/..%2Fweb.py", "/static/../web.py",
                                  "/static/%2e%2e/app.py", "/static/sub/app.js", "/static/.hidden.js",
                                  "/static/app.js.map", "/static/", "/index.html"])
def test_anything_else_is_a_json_404(server, path):
    response = requests.get(server.url + path, timeout=10)
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "not_found"


def test_other_methods_are_405(server):
    response = requests.post(server.url + "/", data=b"x", timeout=10)
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


def test_the_page_has_no_inline_script_style_or_handler_and_loads_only_its_own_files(server):
    parser = Tags()
    parser.feed(get(server, "/").text)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [{"type": "module", "src": "/static/app.js"}]
    assert parser.script_text == [""]
    for tag, attrs in parser.tags:
        assert "style" not in attrs, tag
        assert not [name for name in attrs if name.startswith("on")], (tag, attrs)
        for name in ("src", "href"):
            value = attrs.get(name)
            if value and not value.startswith("#"):
                assert value.startswith("/static/") and get(server, value).status_code == 200, value
    assert "<style" not in get(server, "/").text


def test_every_module_import_resolves_to_a_served_file(server):
    for path in STATIC_DIR.glob("*.js"):
        for target in re.findall(r'^import .* from "\./([^"]+)";$', path.read_text(), re.MULTILINE):
            assert get(server, f"/static/{target}").status_code == 200, (path.name, target)


def test_every_form_control_has_a_label(server):
    parser = Tags()
    parser.feed(get(server, "/").text)
    labelled = {attrs["for"] for tag, attrs in parser.tags if tag == "label"}
    controls = [attrs for tag, attrs in parser.tags if tag in ("input", "textarea", "select")]
    assert controls
    for attrs in controls:
        assert attrs["id"] in labelled or attrs.get("aria-label"), attrs


def test_the_deploy_folder_carries_the_page(tmp_path):
    from infra.stage import stage
    stage(tmp_path / "deploy")
    staged = tmp_path / "deploy" / "functions" / "chat" / "static"
    assert sorted(p.name for p in staged.iterdir()) == sorted(p.name for p in STATIC_DIR.iterdir() if p.is_file())
    assert (tmp_path / "deploy" / "functions" / "chat" / "web.py").is_file()


@pytest.mark.slow
def test_the_production_server_serves_the_same_page(sqlite_db):
    from tests.chat.gunicorn_process import GunicornChat
    chat = GunicornChat(sqlite_db.env(), "tests.chat.pipelines:quick_pipeline")
    try:
        for path, name in (("/", "index.html"), ("/static/app.js", "app.js"), ("/static/app.css", "app.css")):
            response = requests.get(chat.url + path, timeout=10)
            assert response.status_code == 200, path
            assert response.content == (STATIC_DIR / name).read_bytes()
            assert response.headers["Content-Type"] == EXPECTED_TYPES[f".{name.rsplit('.', 1)[1]}"]
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            assert response.headers["Cache-Control"] == "no-cache"
        assert requests.get(chat.url + "/static/nope.js", timeout=10).status_code == 404
    finally:
        chat.stop()
