"""The four agent functions, each through functions-framework's test client.

``AGENTS`` names them (``functions/agents_<name>/main.py``); ``agent_clients()`` maps each name to a test
client on the active database.
"""
from __future__ import annotations

import functions_framework

from infra.manifest import ROOT

AGENTS = ("execute", "triage", "data", "optimization")


def agent_clients() -> dict:
    return {name: functions_framework.create_app(target=f"agents_{name}",
                                                 source=str(ROOT / "functions" / f"agents_{name}" / "main.py"))
            .test_client() for name in AGENTS}
