"""NUL in a question is refused before anything is stored; a write the database refuses is logged with its ids."""
from __future__ import annotations

import logging

from sqlalchemy import func, select

from shared.agents.pipeline.events import AGENT_COMPLETED, AGENT_STARTED
from shared.db import transaction
from shared.db.schema import messages, runs, threads
from tests.chat.pipelines import Result
from tests.support.chat_history import run_status, stored_messages
from tests.support.chat_socket import ask, connect_user, receive, run_frames, send
from tests.support.waiting import wait_for

NUL_REASON = "must not contain the NUL character (U+0000)"


def rows_of(user_id: str) -> dict[str, int]:
    with transaction() as conn:
        return {table.name: conn.execute(select(func.count()).select_from(table)
                                         .where(table.c.user_id == user_id)).scalar_one()
                for table in (threads, messages, runs)}


def test_a_question_with_nul_is_refused_before_anything_is_written(pg_db, start_chat, new_user):
    server = start_chat()
    user = new_user()
    with connect_user(server, user) as ws:
        send(ws, {"type": "user_message", "content": "How much\x00 did we spend?"})
        error = receive(ws)
        send(ws, {"type": "ping", "id": "after"})
        pong = receive(ws)
    assert error == {"type": "error", "code": "invalid_message", "message": f"'content' {NUL_REASON}.",
                     "details": {"field": "content", "reason": NUL_REASON, "fields": {"content": NUL_REASON}}}
    assert (pong["type"], pong["id"]) == ("pong", "after")
    assert rows_of(user.id) == {"threads": 0, "messages": 0, "runs": 0}
    assert server.service.outbox.dropped == 0


def nul_answer(message, *, user_id, emitter, thread_id=None, context=None) -> Result:
    """A pipeline whose answer PostgreSQL cannot store."""
    emitter.emit(AGENT_STARTED, "supervisor", {"input": message[:80]})
    result = Result("Half an answer\x00")
    emitter.emit(AGENT_COMPLETED, "supervisor", {"answer": result.answer, "result": result.to_dict()})
    return result


def test_a_write_the_database_refuses_is_logged_with_its_ids_and_reason(pg_db, start_chat, new_user, caplog):
    caplog.set_level(logging.INFO, logger="tokenwise")
    server = start_chat(nul_answer)
    user = new_user()
    with connect_user(server, user) as ws:
        ack = ask(ws, "where did the money go?")
        run_frames(ws, ack["run_id"])
    wait_for(lambda: run_status(ack["run_id"]) == "completed")
    wait_for(lambda: server.service.outbox.dropped == 1)
    refused = [record for record in caplog.records if record.getMessage() == "chat write refused by the database: dropped"]
    assert len(refused) == 1 and refused[0].levelno == logging.ERROR and refused[0].exc_info is None
    fields = dict(refused[0].fields)
    message_id = fields.pop("message_id")
    assert len(message_id) == 32 and message_id != ack["message_id"]
    assert fields == {"kind": "message", "user_id": user.id, "thread_id": ack["thread_id"], "run_id": ack["run_id"],
                      "reason": '22021 invalid byte sequence for encoding "UTF8": 0x00', "dropped": 1}
    # the refused write alone is missing: the thread, the question and the run are stored
    assert [m["role"] for m in stored_messages(ack["thread_id"])] == ["user"]
    assert rows_of(user.id) == {"threads": 1, "messages": 1, "runs": 1}
