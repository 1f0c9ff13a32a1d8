"""``agents_execute``: ``POST /api/agents/execute`` answers a question with the whole agent pipeline.

Body ``{message, thread_id?, context?}``; JSON ``{status, agent: "supervisor", result, events,
execution_time_ms}``, or the same events as Server-Sent Events with ``Accept: text/event-stream``.
Health at ``/api/agents/execute/health`` and ``/health/ready``.
"""
import functions_framework

from shared.agents.http.endpoint import agent_function, run_execute

app = agent_function("agents_execute", "/api/agents/execute", "supervisor", run_execute, streams=True)


@functions_framework.http
def agents_execute(request):
    return app(request)
