"""The Cloud SQL unix-socket URL form reaches pg8000 as ``unix_sock``, with no host.

The first test checks the arguments the one connect function hands pg8000 and
that a missing socket is unavailability, not a crash; the second connects for
real through a unix socket that forwards to the test server.
"""
from __future__ import annotations

import shutil
import tempfile

import pytest

from shared.db import DatabaseUnavailable, db_status, get_engine, transaction
from shared.db.target import current
from tests.support.database import point_at

CLOUD_SQL_URL = ("postgresql+pg8000://tw_app:s3cr%40t%2Fx@/tokenwise"
                 "?unix_sock=/cloudsql/my-project:europe-west1:tokenwise-db/.s.PGSQL.5432")


def test_cloud_sql_socket_url_becomes_unix_sock_connect_args():
    point_at(CLOUD_SQL_URL, DB_CONNECT_TIMEOUT_S=3)
    assert current().connect_args == {
        "user": "tw_app", "password": "s3cr@t/x", "database": "tokenwise",
        "unix_sock": "/cloudsql/my-project:europe-west1:tokenwise-db/.s.PGSQL.5432"}
    engine = get_engine()
    assert engine.pool.size() == 2  # the small default pool
    assert engine.url.password is None, "credentials live with the connect function, not in the engine"

    with pytest.raises(DatabaseUnavailable) as caught:  # no such socket on this machine
        with transaction():
            pass
    assert caught.value.reason == "InterfaceError: communication error"
    assert "s3cr" not in str(caught.value.body())


@pytest.mark.postgres
def test_a_real_connection_over_a_unix_socket(pg_db, proxies, pg_upstream):
    folder = tempfile.mkdtemp(prefix="tw-cloudsql-", dir="/tmp")  # unix socket paths are short
    try:
        socket_path = f"{folder}/.s.PGSQL.5432"
        proxy = proxies(pg_upstream, unix_path=socket_path)
        point_at(f"postgresql+pg8000://postgres@/test?unix_sock={socket_path}")
        status = db_status()
        assert (status["status"], status["error"]) == ("connected", None)
        assert proxy.accepted == 1
    finally:
        shutil.rmtree(folder, ignore_errors=True)
