"""Every function's entry point, reached from the repository root.

functions-framework puts only the source file's folder on ``sys.path``; loading
this file makes ``shared`` importable both locally and in the Cloud Run
functions buildpack. Deploy each function with ``--entry-point=<name>``; names
equal the Python function names, which is how functions-framework registers
them. A unit's module is imported only when its entry point is asked for, so
each function's cold start pays for its own unit alone and a broken unit
cannot take the others down.
"""
from importlib import import_module

# Entry point -> module. Keep in step with infra/manifest.toml (a test checks).
UNITS = {
    "auth": "functions.auth.main",
    "usage": "functions.usage.main",
    "agents_execute": "functions.agents_execute.main",
    "agents_triage": "functions.agents_triage.main",
    "agents_data": "functions.agents_data.main",
    "agents_optimization": "functions.agents_optimization.main",
}
__all__ = list(UNITS)


def __getattr__(name: str):
    if name not in UNITS:
        raise AttributeError(f"module 'main' has no attribute {name!r}")
    return getattr(import_module(UNITS[name]), name)
