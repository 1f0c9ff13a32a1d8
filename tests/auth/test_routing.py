"""``FunctionApp`` routing: rules without variables are looked up directly, and answer as the URL map would."""
from __future__ import annotations

import flask
from werkzeug.test import EnvironBuilder

from shared.http import FunctionApp


def _app() -> FunctionApp:
    app = FunctionApp("demo", "/demo")
    app.route("/items", methods=("GET", "POST"))(lambda request: {"route": "items", "method": request.method})
    app.route("/items/<item_id>")(lambda request, item_id: {"route": "item", "id": item_id})
    app.route("/")(lambda request: {"route": "root"})
    return app


def _call(app: FunctionApp, method: str, path: str, **kwargs) -> flask.Response:
    return app(flask.Request(EnvironBuilder(path=path, method=method, **kwargs).get_environ()))


def test_fixed_and_variable_rules_answer_alike():
    app = _app()
    assert _call(app, "GET", "/demo/items").get_json() == {"route": "items", "method": "GET"}
    assert _call(app, "POST", "/demo/items").get_json() == {"route": "items", "method": "POST"}
    assert _call(app, "GET", "/demo/items/42").get_json() == {"route": "item", "id": "42"}
    assert _call(app, "GET", "/demo").get_json() == {"route": "root"}
    assert _call(app, "GET", "/demo/health").get_json()["service"] == "demo"


def test_paths_and_methods_outside_the_fixed_table_still_go_through_the_map():
    app = _app()
    assert _call(app, "GET", "/demo/items/").get_json() == {"route": "items", "method": "GET"}  # trailing slash
    assert _call(app, "HEAD", "/demo/items").status_code == 200  # HEAD comes with GET
    wrong = _call(app, "DELETE", "/demo/items")
    assert wrong.status_code == 405 and wrong.get_json()["error"]["details"] == {"allowed": ["GET", "HEAD", "POST"]}
    assert wrong.headers["Allow"] == "GET, HEAD, POST"
    assert _call(app, "GET", "/demo/nothing").status_code == 404
    assert _call(app, "GET", "/other/items").status_code == 404


def test_request_id_is_echoed_or_made():
    app = _app()
    assert _call(app, "GET", "/demo/items", headers={"X-Request-Id": "abc-1"}).headers["X-Request-Id"] == "abc-1"
    made = {_call(app, "GET", "/demo/items").headers["X-Request-Id"] for _ in range(50)}
    assert len(made) == 50, "every request gets its own id"
    assert all(len(one) == 32 and int(one, 16) >= 0 for one in made)
