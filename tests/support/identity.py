"""Who a test is: the session's token signing secret and email addresses no other test uses.

``TEST_SECRET`` is made once per process (each pytest-xdist worker has its own) and set as
``JWT_SECRET`` for the session; server processes a test starts get it explicitly. ``unique_email(tag)``
is ``<tag>-<10 hex>@example.com``.
"""
from __future__ import annotations

import secrets
import uuid

TEST_SECRET = secrets.token_urlsafe(48)


def unique_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"
