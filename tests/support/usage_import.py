"""Import requests to the usage function: the bodies a user uploads and the call that sends them.

``USAGE_SOURCE`` is the function's file; ``to_csv(rows, columns=None)`` and ``to_jsonl(rows)`` encode rows
(``None`` is an empty CSV cell); ``post_import(client, user, body, content_type="text/csv", fmt=None)``
posts one to ``/api/usage/import`` as ``user``.
"""
from __future__ import annotations

import csv
import io
import json

from tests.support.users import User

USAGE_SOURCE = "functions/usage/main.py"


def to_csv(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or list(rows[0])
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return buffer.getvalue().encode()


def to_jsonl(rows: list[dict]) -> bytes:
    return "".join(json.dumps(row) + "\n" for row in rows).encode()


def post_import(client, user: User, body: bytes, content_type: str = "text/csv", fmt: str | None = None):
    url = "/api/usage/import" + (f"?format={fmt}" if fmt else "")
    return client.post(url, data=body, headers={**user.headers, "Content-Type": content_type})
