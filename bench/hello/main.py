"""The baseline: the smallest functions-framework HTTP function (entry point ``hello``)."""
import functions_framework


@functions_framework.http
def hello(request):
    return "hello"
