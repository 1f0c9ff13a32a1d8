"""Development mode keeps one generated key in the data dir and reads it once per process."""
import logging

import pytest

from shared.auth import jwt_secret
from shared.auth.tokens import decode_token, issue_access_token


@pytest.fixture
def development(monkeypatch, tmp_path):
    monkeypatch.setenv("TOKENWISE_ENV", "development")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("TOKENWISE_DATA_DIR", str(tmp_path))
    return tmp_path


def test_the_key_is_generated_once_with_owner_only_access(development):
    key = jwt_secret()
    path = development / "jwt_secret"
    assert path.read_text().strip().encode() == key
    assert len(key) >= 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert jwt_secret() == key


def test_the_key_is_read_once_per_process(development):
    key = jwt_secret()
    token, _ = issue_access_token("user-1", "a@example.com", "session-1")
    (development / "jwt_secret").write_text("a different key that nobody signed with, long enough")
    # Tokens issued by this process keep verifying: the file is not read again on every check.
    assert jwt_secret() == key
    assert decode_token(token)["sub"] == "user-1"


def test_a_missing_data_dir_is_created_and_the_new_key_is_logged_without_it(monkeypatch, tmp_path, caplog):
    data = tmp_path / "not" / "there"
    monkeypatch.setenv("TOKENWISE_ENV", "development")
    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv("TOKENWISE_DATA_DIR", str(data))
    logging.getLogger("tokenwise").addHandler(caplog.handler)
    try:
        key = jwt_secret()
    finally:
        logging.getLogger("tokenwise").removeHandler(caplog.handler)
    assert len(key) == 64  # 48 random bytes, base64url
    [entry] = [r for r in caplog.records if r.name == "tokenwise.auth.secret"]
    assert entry.getMessage() == "JWT_SECRET is not set: generated a development secret"
    assert entry.fields == {"path": str(data / "jwt_secret")}
    assert key.decode() not in entry.getMessage()
