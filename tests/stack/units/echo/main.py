"""Two test functions that answer with what reached them, to show routing by prefix."""
import flask
import functions_framework


def _echo(unit: str, request: flask.Request):
    return flask.jsonify({"unit": unit, "path": request.path, "query": request.query_string.decode(),
                          "method": request.method, "body": request.get_data(as_text=True)})


@functions_framework.http
def stack_echo(request):
    return _echo("echo", request)


@functions_framework.http
def stack_echo_deep(request):
    return _echo("echo_deep", request)
