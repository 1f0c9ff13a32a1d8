"""``agents_data``: ``POST /api/agents/data`` aggregates the caller's usage over the question's range.

503 ``database_unavailable`` when the database is down. Health at ``/api/agents/data/health``.
"""
import functions_framework

from shared.agents.http.endpoint import agent_function, run_data

app = agent_function("agents_data", "/api/agents/data", "data", run_data)


@functions_framework.http
def agents_data(request):
    return app(request)
