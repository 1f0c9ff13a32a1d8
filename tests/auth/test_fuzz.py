"""Whatever JSON or header arrives, the auth routes answer a 2xx/4xx JSON body, never a 500."""
from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.auth_client import make_client

FIELDS = ["email", "password", "name", "token", "refresh_token"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                    st.text(max_size=40), st.sampled_from(["a@example.com", "Correct-Horse-9!", "a.b.c", ""]))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                          max_size=3), max_leaves=6)
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=5)
_clients: list = []


def client():
    """One app for all examples: building it per example would dominate the run time."""
    if not _clients:
        _clients.append(make_client())
    return _clients[0]


ALLOWED = {"/auth/register": {201, 409, 422}, "/auth/login": {200, 401, 422, 429},
           "/auth/refresh": {200, 401, 422}, "/auth/validate": {200, 422}}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(sorted(ALLOWED)), body=bodies)
def test_any_json_object_gets_a_clean_answer(sqlite_db, path, body):
    response = client().post(path, data=json.dumps(body), content_type="application/json")
    assert response.status_code in ALLOWED[path], (path, body, response.get_json())
    payload = response.get_json()
    if response.status_code >= 400:
        assert set(payload["error"]) == {"code", "message", "details"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=200),
       path=st.sampled_from(["/auth/me", "/auth/logout"]))
def test_any_authorization_header_gets_a_clean_answer(sqlite_db, header, path):
    response = client().open(path, method="GET" if path == "/auth/me" else "POST",
                             headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] in {
        "missing_token", "malformed_token", "invalid_signature", "invalid_algorithm"}
