"""Serve one function in a fresh process, the way a cold instance starts: ``python unit_server.py TARGET SOURCE READY``.

Optionally (``--import-all``) it first imports every module under ``shared``,
``functions`` and ``infra`` (except ``__main__`` modules, which are commands). It then loads ``SOURCE`` through
``functions_framework.create_app``, timing it, serves it on a free loopback
port with werkzeug, and writes ``{"port", "create_app_s", "imported"}`` as
JSON to the file ``READY``. It serves until its stdin closes.
"""
from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("shared", "functions", "infra")


def import_everything() -> list[str]:
    imported = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        imported.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if info.name.endswith(".__main__"):  # runs a command when imported (python -m ...)
                continue
            importlib.import_module(info.name)
            imported.append(info.name)
    return imported


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("target")
    parser.add_argument("source")
    parser.add_argument("ready")
    parser.add_argument("--import-all", action="store_true")
    args = parser.parse_args()

    imported = import_everything() if args.import_all else []

    import functions_framework
    from werkzeug.serving import make_server

    started = time.perf_counter()
    app = functions_framework.create_app(target=args.target, source=args.source)
    create_app_s = time.perf_counter() - started

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    partial = Path(args.ready + ".part")
    partial.write_text(json.dumps({"port": server.server_port, "create_app_s": create_app_s,
                                   "imported": imported}))
    os.replace(partial, args.ready)
    sys.stdin.read()
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
