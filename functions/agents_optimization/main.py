"""``agents_optimization``: ``POST /api/agents/optimization`` prices savings on the caller's records.

503 ``database_unavailable`` when the database is down. Health at ``/api/agents/optimization/health``.
"""
import functions_framework

from shared.agents.http.endpoint import agent_function, run_optimization

app = agent_function("agents_optimization", "/api/agents/optimization", "optimization", run_optimization)


@functions_framework.http
def agents_optimization(request):
    return app(request)
