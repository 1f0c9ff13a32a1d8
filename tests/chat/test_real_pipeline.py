"""The real supervisor pipeline over the socket, on demo data: the same figures as calling it directly."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared.agents.pipeline.events import Emitter
from shared.agents.pipeline.execute import execute
from shared.demo import load_demo
from tests.support.chat_history import run_status, stored_messages
from tests.support.chat_socket import ask, connect_user, run_frames
from tests.support.waiting import wait_for

END = datetime(2026, 3, 1, tzinfo=UTC)
CONTEXT = {"now": END.isoformat()}


@pytest.fixture
def demo_user(database, new_user):
    user = new_user()
    load_demo(user.id, rows=3000, seed=11, end=END.replace(tzinfo=None), days=30)
    return user


@pytest.mark.parametrize("question", ["Where did my LLM money go in the last 30 days?",
                                      "How can I cut my LLM costs?"])
def test_a_demo_question_answers_like_execute(demo_user, start_chat, question):
    server = start_chat(pipeline=None)  # the default: shared.agents.pipeline.execute.execute
    with connect_user(server, demo_user) as ws:
        ack = ask(ws, question, context=CONTEXT)
        frames = run_frames(ws, ack["run_id"], timeout=60)
    direct = execute(question, user_id=demo_user.id, emitter=Emitter(), context=CONTEXT).to_dict()

    assert (frames[0]["type"], frames[0]["agent"]) == ("agent_started", "supervisor")
    assert (frames[-1]["type"], frames[-1]["agent"]) == ("agent_completed", "supervisor")
    assert {"triage", "data", "report"} <= {f["agent"] for f in frames}
    assert not [f for f in frames if f["type"] == "agent_error"]
    result = frames[-1]["payload"]["result"]
    assert frames[-1]["payload"]["answer"] == result["answer"]
    assert result["category"] == direct["category"]
    assert result["data"]["totals"] == direct["data"]["totals"]
    assert result["data"]["totals"]["requests"] == 3000
    assert result["optimization"] == direct["optimization"]
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    answer = stored_messages(ack["thread_id"])[-1]
    assert (answer["role"], answer["content"]) == ("assistant", result["answer"])
    assert json.loads(answer["structured"]) == result
