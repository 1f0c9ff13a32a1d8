"""A test function whose module fails at import, as a unit with a missing dependency would."""
import functions_framework

raise RuntimeError("broken on purpose: STACK_TEST_SETTING is missing")


@functions_framework.http
def stack_broken(request):  # never registered: the import fails first
    return "unreachable"
