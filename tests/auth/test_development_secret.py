"""Development mode keeps one generated key in the data dir and reads it once per process."""
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
