"""PostgreSQL lost before or during an import: 503 with what was committed, and a clean re-send."""
from __future__ import annotations

import io
import os
import time

import functions_framework
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from shared.db import reset_engine
from tests.support.database import PG_URL
from tests.support.proxy import Proxy
from tests.support.usage_import import USAGE_SOURCE, post_import, to_csv
from tests.support.users import create_user
from tests.usage.test_import_formats import OURS, ours

pytestmark = pytest.mark.postgres
ROWS = 2000
BATCH = 100


class Direct:
    """Reads the test schema straight from the server, not through the proxy."""

    def __init__(self, schema: str):
        self.engine = create_engine(PG_URL)
        self.schema = schema

    def count(self, user_id: str) -> int:
        with self.engine.connect() as conn:
            return conn.execute(text(f"SELECT count(*) FROM {self.schema}.usage_records WHERE user_id = :user"),
                                {"user": user_id}).scalar_one()


@pytest.fixture
def through_proxy(pg_db):
    """The process's DB layer goes through a proxy the test can cut; yields (proxy, direct engine)."""
    url = make_url(PG_URL)
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    direct = Direct(pg_db.schema)
    os.environ.update({"DATABASE_URL": proxy.url_for(PG_URL), "DB_CONNECT_TIMEOUT_S": "2",
                       "DB_BACKOFF_MAX_S": "0.5", "USAGE_IMPORT_BATCH_ROWS": str(BATCH)})
    reset_engine()
    yield proxy, direct
    proxy.close()
    direct.engine.dispose()


class CutAfterFirstBatches(io.RawIOBase):
    """Yields the body; once some batches are stored, cuts the database link, then yields the rest."""

    def __init__(self, body: bytes, proxy: Proxy, direct: Direct, user_id: str):
        self.body = io.BytesIO(body)
        self.proxy, self.direct, self.user_id = proxy, direct, user_id
        self.cut = False

    def readable(self):
        return True

    def readinto(self, buffer):
        if not self.cut and self.body.tell() > len(self.body.getvalue()) // 3:
            deadline = time.monotonic() + 20
            while self.direct.count(self.user_id) < 2 * BATCH and time.monotonic() < deadline:
                time.sleep(0.02)
            self.proxy.cut()
            self.cut = True
        chunk = self.body.read(min(len(buffer), 4096))
        buffer[:len(chunk)] = chunk
        return len(chunk)


def test_database_lost_mid_import_is_503_with_what_was_committed(through_proxy):
    proxy, direct = through_proxy
    user = create_user("outage")
    body = to_csv([ours(f"o-{i:05d}") for i in range(ROWS)], OURS)
    client = functions_framework.create_app(target="usage", source=USAGE_SOURCE).test_client()
    response = client.post("/api/usage/import", data=b"", headers={**user.headers, "Content-Type": "text/csv"},
                           environ_overrides={"wsgi.input": CutAfterFirstBatches(body, proxy, direct, user.id),
                                              "wsgi.input_terminated": True, "CONTENT_LENGTH": ""})
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "database_unavailable"
    committed = error["details"]["committed"]
    stored = direct.count(user.id)
    assert committed["imported"] == stored and stored >= 2 * BATCH and stored % BATCH == 0
    assert committed["through_row"] == stored and committed["duplicates"] == 0
    assert error["details"]["report"]["rejected"] == 0

    proxy.restore()
    deadline = time.monotonic() + 10
    while True:  # the DB layer backs off for a moment after the failure
        again = post_import(client, user, body)
        if again.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert again.status_code == 200
    result = again.get_json()
    assert (result["imported"], result["duplicates"], result["rejected"]) == (ROWS - stored, stored, 0)
    assert direct.count(user.id) == ROWS


def test_database_down_before_the_import_is_503_and_nothing_is_read(through_proxy):
    proxy, direct = through_proxy
    user = create_user("down")
    client = functions_framework.create_app(target="usage", source=USAGE_SOURCE).test_client()
    proxy.cut()
    for response in (post_import(client, user, to_csv([ours("x")], OURS)),
                     client.get("/api/usage/summary", headers=user.headers),
                     client.delete("/api/usage", headers=user.headers)):
        assert response.status_code == 503
        assert response.get_json()["error"]["code"] == "database_unavailable"
    assert direct.count(user.id) == 0
