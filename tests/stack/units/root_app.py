"""A test container: a tiny Flask app that owns "/" and says which path reached it."""
import flask


def create_app() -> flask.Flask:
    app = flask.Flask("stack_test_root")

    @app.get("/health")
    def health():
        return {"status": "healthy", "service": "root_app"}

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def anything(path):
        return {"unit": "root_app", "path": flask.request.path}

    return app
