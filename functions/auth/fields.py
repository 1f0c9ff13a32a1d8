"""Reading and checking the auth function's JSON fields; every problem becomes one 422.

Emails are normalised (trimmed, lower-cased) before they are checked or stored,
so ``Ann@Example.com `` and ``ann@example.com`` are the same account. Names are
trimmed; an empty name is stored as no name. Options: none.
"""
from __future__ import annotations

import re
from typing import Any

from shared.errors import ValidationFailed

MAX_EMAIL_LENGTH = 320
MAX_NAME_LENGTH = 200

# RFC 5322 "dot-atom" local part and a DNS host name with a letter-only TLD: strict
# enough to catch typos and injection, loose enough for real addresses.
_LOCAL = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
_EMAIL = re.compile(rf"{_LOCAL}@{_DOMAIN}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_email(value: str) -> str:
    return value.strip().lower()


def email_problem(email: str) -> str | None:
    """Why a normalised email is unusable, or None."""
    if not email:
        return "is required"
    if len(email) > MAX_EMAIL_LENGTH:
        return f"must be at most {MAX_EMAIL_LENGTH} characters"
    if not _EMAIL.fullmatch(email) or len(email.split("@", 1)[0]) > 64:
        return "is not a valid email address"
    return None


def _string(body: dict[str, Any], field: str, problems: dict[str, str], required: bool = True) -> str | None:
    value = body.get(field)
    if value is None:
        if required:
            problems[field] = "is required"
        return None
    if not isinstance(value, str):
        problems[field] = "must be a string"
        return None
    return value


def required_string(body: dict[str, Any], field: str) -> str:
    """One required string field, or 422 naming it."""
    problems: dict[str, str] = {}
    value = _string(body, field, problems)
    if problems:
        raise ValidationFailed(problems)
    assert value is not None  # a missing required field is a problem, raised above
    return value


def registration(body: dict[str, Any]) -> tuple[str, str, str | None]:
    """``(email, password, name)`` of a sign-up, or 422 with every field's problem and the policy."""
    # Here, not at the top: the token check reads its field through this module and needs no argon2.
    from shared.auth import passwords
    problems: dict[str, str] = {}
    raw_email = _string(body, "email", problems)
    password = _string(body, "password", problems)
    raw_name = _string(body, "name", problems, required=False)
    email = normalise_email(raw_email) if raw_email is not None else ""
    if raw_email is not None and (problem := email_problem(email)):
        problems["email"] = problem
    if password is not None and (problem := passwords.password_problem(password, email)):
        problems["password"] = problem
    name = raw_name.strip() if raw_name is not None else None
    if name and len(name) > MAX_NAME_LENGTH:
        problems["name"] = f"must be at most {MAX_NAME_LENGTH} characters"
    elif name and not passwords.is_text(name):
        problems["name"] = "must be valid Unicode text"
    elif name and _CONTROL.search(name):
        problems["name"] = "must not contain control characters"
    if problems:
        error = ValidationFailed(problems)
        if "password" in problems:
            error.details["password_policy"] = passwords.POLICY
        raise error
    assert password is not None  # a missing required field is a problem, raised above
    return email, password, name or None


def credentials(body: dict[str, Any]) -> tuple[str, str]:
    """``(normalised email, password)`` of a login; only presence and type are checked here."""
    problems: dict[str, str] = {}
    email = _string(body, "email", problems)
    password = _string(body, "password", problems)
    if problems:
        raise ValidationFailed(problems)
    assert email is not None and password is not None  # missing ones were raised above
    return normalise_email(email), password
