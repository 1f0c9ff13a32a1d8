"""Runs over the socket: event order, persistence, aliases, ownership, stop, queueing, failures."""
from __future__ import annotations

import json
import threading
import time

import pytest

from tests.chat.pipelines import GatedPipeline, failing_pipeline, stubborn_pipeline
from tests.support.chat_history import run_status, stored_events, stored_messages
from tests.support.chat_socket import ask, connect_user, receive, run_frames, send
from tests.support.waiting import wait_for

ENVELOPE = {"type", "event_id", "run_id", "thread_id", "agent", "timestamp", "payload"}
QUICK_SEQUENCE = [("agent_started", "supervisor"), ("agent_started", "triage"), ("agent_thinking", "triage"),
                  ("tool_executing", "triage"), ("tool_completed", "triage"), ("agent_completed", "triage"),
                  ("agent_completed", "supervisor")]


def kinds(frames: list[dict]) -> list[tuple[str, str]]:
    return [(f["type"], f["agent"]) for f in frames]


def test_a_question_streams_the_events_in_order_and_is_stored(database, start_chat, new_user):
    server = start_chat()
    user = new_user()
    with connect_user(server, user) as ws:
        ack = ask(ws, "Where does my money go?", client_message_id="c-1")
        frames = run_frames(ws, ack["run_id"])
    assert set(ack) == {"type", "thread_id", "run_id", "message_id", "client_message_id", "queued", "position"}
    assert (ack["client_message_id"], ack["queued"], ack["position"]) == ("c-1", False, 0)
    assert kinds(frames) == QUICK_SEQUENCE
    assert all(set(f) == ENVELOPE and f["thread_id"] == ack["thread_id"] for f in frames)
    assert [f["event_id"] for f in frames] == [f"{ack['run_id']}-{i:05d}" for i in range(1, 8)]
    final = frames[-1]["payload"]
    assert final["answer"] == "Answer to: Where does my money go?"
    assert final["result"]["category"] == "help"

    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    assert stored_events(ack["run_id"]) == frames
    stored = stored_messages(ack["thread_id"])
    assert [(m["role"], m["content"]) for m in stored] == [
        ("user", "Where does my money go?"), ("assistant", "Answer to: Where does my money go?")]
    assert stored[0]["client_message_id"] == "c-1"
    assert stored[1]["run_id"] == ack["run_id"]
    assert json.loads(stored[1]["structured"]) == final["result"]


@pytest.mark.parametrize("kind", ["message", "chat_message", "chat"])
@pytest.mark.parametrize("field", ["content", "text", "message"])
def test_message_aliases(sqlite_db, start_chat, new_user, kind, field):
    server = start_chat()
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": kind, field: "hello"})
        ack = receive(ws)
        assert ack["type"] == "message_received"
        assert run_frames(ws, ack["run_id"])[-1]["payload"]["answer"] == "Answer to: hello"


def test_follow_up_on_a_thread_and_its_history(database, start_chat, new_user):
    server = start_chat()
    with connect_user(server, new_user()) as ws:
        first = ask(ws, "one")
        run_frames(ws, first["run_id"])
        second = ask(ws, "two", thread_id=first["thread_id"])
        run_frames(ws, second["run_id"])
        assert second["thread_id"] == first["thread_id"]
        wait_for(lambda: run_status(second["run_id"]) == "completed")
        send(ws, {"type": "get_thread_history", "thread_id": first["thread_id"]})
        history = receive(ws)
    assert history["type"] == "thread_history"
    assert history["thread"]["id"] == first["thread_id"]
    assert history["thread"]["title"] == "one"
    assert [(m["role"], m["content"]) for m in history["messages"]] == [
        ("user", "one"), ("assistant", "Answer to: one"), ("user", "two"), ("assistant", "Answer to: two")]


def test_another_users_thread_is_not_found(database, start_chat, new_user):
    server = start_chat()
    with connect_user(server, new_user()) as owner:
        ack = ask(owner, "mine")
        run_frames(owner, ack["run_id"])
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    with connect_user(server, new_user()) as intruder:
        send(intruder, {"type": "user_message", "content": "hijack", "thread_id": ack["thread_id"]})
        posted = receive(intruder)
        send(intruder, {"type": "get_thread_history", "thread_id": ack["thread_id"]})
        history = receive(intruder)
        send(intruder, {"type": "stop_agent", "run_id": ack["run_id"]})
        stop = receive(intruder)
    assert (posted["type"], posted["code"]) == ("error", "not_found")
    assert (history["type"], history["code"]) == ("error", "not_found")
    assert (stop["type"], stop["code"]) == ("error", "not_found")
    assert [m["content"] for m in stored_messages(ack["thread_id"])] == ["mine", "Answer to: mine"]


def test_stop_ends_the_run_cancelled_within_a_second(database, start_chat, new_user):
    pipeline = GatedPipeline()
    server = start_chat(pipeline)
    with connect_user(server, new_user()) as ws:
        ack = ask(ws, "long question")
        assert receive(ws)["type"] == "agent_started"
        started = time.monotonic()
        send(ws, {"type": "stop_agent", "run_id": ack["run_id"]})
        assert receive(ws) == {"type": "stop_requested", "run_id": ack["run_id"]}
        frames = run_frames(ws, ack["run_id"])
        elapsed = time.monotonic() - started
    assert elapsed < 1.0
    assert kinds(frames) == [("agent_error", "supervisor"), ("agent_completed", "supervisor")]
    assert frames[0]["payload"]["code"] == "cancelled"
    assert frames[1]["payload"] == {"status": "cancelled", "answer": None, "result": None}
    wait_for(lambda: run_status(ack["run_id"]) == "cancelled")
    assert [m["role"] for m in stored_messages(ack["thread_id"])] == ["user"]


def test_stop_works_even_if_the_pipeline_never_checks(sqlite_db, start_chat, new_user):
    server = start_chat(stubborn_pipeline, stop_grace_s=0.5)
    with connect_user(server, new_user()) as ws:
        ack = ask(ws, "stubborn")
        assert receive(ws)["type"] == "agent_started"
        started = time.monotonic()
        send(ws, {"type": "stop_agent", "run_id": ack["run_id"]})
        assert receive(ws)["type"] == "stop_requested"
        frames = run_frames(ws, ack["run_id"])
        assert time.monotonic() - started < 1.0
        assert kinds(frames) == [("agent_error", "supervisor"), ("agent_completed", "supervisor")]
        assert frames[1]["payload"]["status"] == "cancelled"
        time.sleep(2.7)  # the pipeline wakes up and emits: nothing of it may reach the client or the store
        send(ws, {"type": "ping"})
        assert receive(ws)["type"] == "pong"
    assert [e["type"] for e in stored_events(ack["run_id"])] == ["agent_started", "agent_error", "agent_completed"]
    assert run_status(ack["run_id"]) == "cancelled"


def test_runs_on_a_thread_queue_in_order_up_to_the_limit(sqlite_db, start_chat, new_user):
    pipeline = GatedPipeline()
    server = start_chat(pipeline, max_queued_per_thread=2)
    with connect_user(server, new_user()) as ws:
        first = ask(ws, "q1")
        assert receive(ws)["type"] == "agent_started"
        second = ask(ws, "q2", thread_id=first["thread_id"])
        third = ask(ws, "q3", thread_id=first["thread_id"])
        send(ws, {"type": "user_message", "content": "q4", "thread_id": first["thread_id"]})
        full = receive(ws)
        assert [(a["queued"], a["position"]) for a in (first, second, third)] == [(False, 0), (True, 1), (True, 2)]
        assert (full["type"], full["code"], full["details"]) == ("error", "queue_full", {"max_queued": 2})
        pipeline.gate("q3").set()  # opening a later gate must not let it overtake
        time.sleep(0.2)
        assert pipeline.started == ["q1"]
        pipeline.gate("q1").set()
        pipeline.gate("q2").set()
        finals = [run_frames(ws, ack["run_id"])[-1]["payload"]["answer"] for ack in (first, second, third)]
    assert pipeline.started == ["q1", "q2", "q3"]
    assert finals == ["Answer to: q1", "Answer to: q2", "Answer to: q3"]


def test_a_waiting_run_can_be_stopped(sqlite_db, start_chat, new_user):
    pipeline = GatedPipeline()
    server = start_chat(pipeline)
    with connect_user(server, new_user()) as ws:
        first = ask(ws, "a")
        assert receive(ws)["type"] == "agent_started"
        second = ask(ws, "b", thread_id=first["thread_id"])
        send(ws, {"type": "stop_agent", "run_id": second["run_id"]})
        assert receive(ws)["type"] == "stop_requested"
        stopped = run_frames(ws, second["run_id"])
        pipeline.gate("a").set()
        assert run_frames(ws, first["run_id"])[-1]["payload"]["answer"] == "Answer to: a"
        send(ws, {"type": "stop_agent", "run_id": first["run_id"]})
        late = receive(ws)
    assert kinds(stopped) == [("agent_completed", "supervisor")]
    assert stopped[0]["payload"]["status"] == "cancelled"
    assert pipeline.started == ["a"]
    assert (late["code"], late["details"]["status"]) == ("run_not_active", "completed")
    wait_for(lambda: run_status(second["run_id"]) == "cancelled")


def test_a_failing_pipeline_ends_with_an_explanation_not_a_closed_socket(database, start_chat, new_user):
    server = start_chat(failing_pipeline)
    with connect_user(server, new_user()) as ws:
        ack = ask(ws, "break it")
        frames = run_frames(ws, ack["run_id"])
        send(ws, {"type": "ping"})
        assert receive(ws)["type"] == "pong"
    assert kinds(frames) == [("agent_started", "supervisor"), ("agent_error", "supervisor"),
                             ("agent_completed", "supervisor")]
    assert frames[1]["payload"] == {"code": "internal_error", "message": "The supervisor agent failed: KeyError."}
    assert frames[2]["payload"]["status"] == "failed"
    assert ack["run_id"] in frames[2]["payload"]["answer"]
    wait_for(lambda: run_status(ack["run_id"]) == "failed")
    assert [m["role"] for m in stored_messages(ack["thread_id"])] == ["user", "assistant"]


def test_a_run_outlives_its_socket(database, start_chat, new_user):
    pipeline = GatedPipeline()
    server = start_chat(pipeline)
    with connect_user(server, new_user()) as ws:
        ack = ask(ws, "keep going")
        assert receive(ws)["type"] == "agent_started"
    pipeline.gate("keep going").set()
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    assert [(e["type"], e["agent"]) for e in stored_events(ack["run_id"])] == [
        ("agent_started", "supervisor"), *QUICK_SEQUENCE[1:]]
    assert [m["role"] for m in stored_messages(ack["thread_id"])] == ["user", "assistant"]


def test_stop_of_an_unknown_run_is_not_found(sqlite_db, start_chat, new_user):
    server = start_chat()
    with connect_user(server, new_user()) as ws:
        send(ws, {"type": "stop_agent", "run_id": "0" * 32})
        error = receive(ws)
    assert (error["type"], error["code"]) == ("error", "not_found")


def test_runs_beyond_the_process_limit_wait_for_a_slot_and_can_be_stopped(sqlite_db, start_chat, new_user):
    pipeline = GatedPipeline()
    server = start_chat(pipeline, max_active_runs=1)
    with connect_user(server, new_user()) as ws, connect_user(server, new_user()) as other:
        first = ask(ws, "first")
        assert receive(ws)["type"] == "agent_started"
        second = ask(other, "second")  # another user, another thread: only the slot holds it back
        third = ask(other, "third")
        time.sleep(0.2)
        assert pipeline.started == ["first"]
        send(other, {"type": "stop_agent", "run_id": third["run_id"]})
        assert receive(other)["type"] == "stop_requested"
        stopped = run_frames(other, third["run_id"])
        pipeline.gate("first").set()
        pipeline.gate("second").set()
        run_frames(ws, first["run_id"])
        answered = run_frames(other, second["run_id"])
    assert kinds(stopped) == [("agent_completed", "supervisor")]
    assert stopped[0]["payload"]["status"] == "cancelled"
    assert answered[-1]["payload"]["answer"] == "Answer to: second"
    assert pipeline.started == ["first", "second"]


def test_concurrent_users_each_get_only_their_own_events(database, start_chat, new_user):
    server = start_chat(max_active_runs=8)
    people = [new_user() for _ in range(12)]
    results: dict[str, tuple[dict, list[dict]]] = {}
    failures: list[BaseException] = []

    def converse(user) -> None:
        try:
            with connect_user(server, user) as ws:
                ack = ask(ws, f"question of {user.id}")
                frames = run_frames(ws, ack["run_id"], timeout=20)
                send(ws, {"type": "ping"})
                extra = receive(ws)
            results[user.id] = (ack, frames + [extra])
        except BaseException as exc:  # reported below with the user it happened to
            failures.append(exc)

    threads = [threading.Thread(target=converse, args=(user,)) for user in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert set(results) == {user.id for user in people}
    for user_id, (ack, frames) in results.items():
        *events, pong = frames
        assert pong["type"] == "pong"  # nothing else arrived in between
        assert {(e["run_id"], e["thread_id"]) for e in events} == {(ack["run_id"], ack["thread_id"])}
        assert events[-1]["payload"]["answer"] == f"Answer to: question of {user_id}"
