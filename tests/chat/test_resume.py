"""``resume``: after a dropped socket, exactly the missed events, then the live rest, on any instance."""
from __future__ import annotations

import pytest

from tests.chat.pipelines import SteppedPipeline, quick_pipeline
from tests.support.chat_history import run_status, stored_events
from tests.support.chat_socket import ask, connect_user, receive, run_frames, send
from tests.support.waiting import wait_for


def frames_until(ws, predicate, timeout: float = 5.0) -> list[dict]:
    frames = []
    while True:
        frames.append(receive(ws, timeout))
        if predicate(frames[-1]):
            return frames


def test_resume_replays_exactly_the_missed_events_then_streams_live(database, start_chat, new_user):
    pipeline = SteppedPipeline()
    server = start_chat(pipeline)
    user = new_user()
    with connect_user(server, user) as ws:
        ack = ask(ws, "step by step")
        pipeline.step(3)
        seen = [receive(ws) for _ in range(3)]
    run = server.service.runs.find(ack["run_id"], user.id)
    pipeline.step(3)  # emitted while nobody listens
    wait_for(lambda: len(run.events) == 6)
    with connect_user(server, user) as ws:
        send(ws, {"type": "resume", "run_id": ack["run_id"], "last_event_id": seen[-1]["event_id"]})
        replayed = frames_until(ws, lambda f: f["type"] == "resumed")
        pipeline.step(4)
        live = run_frames(ws, ack["run_id"])
    assert replayed[-1] == {"type": "resumed", "run_id": ack["run_id"], "thread_id": ack["thread_id"],
                            "status": "running", "replayed": 3, "live": True}
    ids = [f["event_id"] for f in seen + replayed[:-1] + live]
    assert ids == [f"{ack['run_id']}-{i:05d}" for i in range(1, 11)]
    assert live[-1]["type"] == "agent_completed" and live[-1]["agent"] == "supervisor"
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    assert [e["event_id"] for e in stored_events(ack["run_id"])] == ids


def test_resume_on_another_instance_replays_from_the_database(database, start_chat, new_user):
    first, second = start_chat(quick_pipeline), start_chat(quick_pipeline)
    user = new_user()
    with connect_user(first, user) as ws:
        ack = ask(ws, "from afar")
        seen = [receive(ws) for _ in range(3)]
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    with connect_user(second, user) as ws:
        send(ws, {"type": "resume", "run_id": ack["run_id"], "last_event_id": seen[-1]["event_id"]})
        replayed = frames_until(ws, lambda f: f["type"] == "resumed")
    stored = stored_events(ack["run_id"])
    assert replayed[:-1] == stored[3:]
    assert [f["event_id"] for f in seen + replayed[:-1]] == [e["event_id"] for e in stored]
    assert replayed[-1] == {"type": "resumed", "run_id": ack["run_id"], "thread_id": ack["thread_id"],
                            "status": "completed", "replayed": 4, "live": False}


def test_resume_elsewhere_while_the_run_is_still_going(database, start_chat, new_user):
    pipeline = SteppedPipeline()
    first, second = start_chat(pipeline), start_chat(quick_pipeline)
    user = new_user()
    with connect_user(first, user) as ws:
        ack = ask(ws, "still going")
        pipeline.step(2)
        wait_for(lambda: len(stored_events(ack["run_id"])) == 2)
        with connect_user(second, user) as other:
            send(other, {"type": "resume", "run_id": ack["run_id"]})
            replayed = frames_until(other, lambda f: f["type"] == "resumed")
        pipeline.step(8)
        run_frames(ws, ack["run_id"])
    assert [f["event_id"] for f in replayed[:-1]] == [f"{ack['run_id']}-00001", f"{ack['run_id']}-00002"]
    assert (replayed[-1]["status"], replayed[-1]["live"]) == ("running", False)


@pytest.mark.parametrize("instance", ["same", "other"])
def test_only_the_owner_may_resume(sqlite_db, start_chat, new_user, instance):
    first = start_chat()
    second = first if instance == "same" else start_chat()
    with connect_user(first, new_user()) as ws:
        ack = ask(ws, "private")
        run_frames(ws, ack["run_id"])
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    with connect_user(second, new_user()) as ws:
        send(ws, {"type": "resume", "run_id": ack["run_id"], "last_event_id": None})
        error = receive(ws)
    assert (error["type"], error["code"]) == ("error", "not_found")


def test_resume_without_last_event_id_replays_the_whole_run(sqlite_db, start_chat, new_user):
    server = start_chat()
    user = new_user()
    with connect_user(server, user) as ws:
        ack = ask(ws, "all of it")
        original = run_frames(ws, ack["run_id"])
        send(ws, {"type": "resume", "run_id": ack["run_id"]})
        replayed = frames_until(ws, lambda f: f["type"] == "resumed")
    assert replayed[:-1] == original
    assert replayed[-1]["live"] is False
