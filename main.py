"""Every function's entry point, re-exported from the repository root.

functions-framework puts only the source file's folder on ``sys.path``; loading
this file makes ``shared`` importable both locally and in the Cloud Run
functions buildpack. Deploy each function with ``--entry-point=<name>``; names
here equal the Python function names, which is how functions-framework registers them.
"""
from functions.auth.main import auth  # noqa: F401
from functions.usage.main import usage  # noqa: F401
from functions.agents_execute.main import agents_execute  # noqa: F401
from functions.agents_triage.main import agents_triage  # noqa: F401
from functions.agents_data.main import agents_data  # noqa: F401
from functions.agents_optimization.main import agents_optimization  # noqa: F401
