"""``agents_triage``: ``POST /api/agents/triage`` classifies a question (category, entities, range).

It answers even when the database is down (``data_sufficiency`` is then ``unknown``), so its
readiness does not require the database. Health at ``/api/agents/triage/health``.
"""
import functions_framework

from shared.agents.http.endpoint import agent_function, run_triage

app = agent_function("agents_triage", "/api/agents/triage", "triage", run_triage, needs_database=False)


@functions_framework.http
def agents_triage(request):
    return app(request)
