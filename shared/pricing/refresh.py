"""Refresh the vendored price catalog from LiteLLM's model price map.

``python -m shared.pricing.refresh [PATH]``: PATH is LiteLLM's
``model_prices_and_context_window.json`` (or the ``_backup`` copy inside the
``litellm`` wheel). Without PATH the wheel is fetched with ``pip download`` and
the file taken from it; the package itself is never installed. The map is
trimmed to chat models of the providers below and to the pricing fields we use.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zipfile
from datetime import date
from pathlib import Path

PROVIDERS = ("openai", "anthropic", "gemini", "mistral", "deepseek", "xai", "groq")
FIELDS = (
    "litellm_provider", "mode", "input_cost_per_token", "output_cost_per_token",
    "cache_read_input_token_cost", "cache_creation_input_token_cost",
    "input_cost_per_token_batches", "output_cost_per_token_batches",
    "max_input_tokens", "max_output_tokens", "deprecation_date", "successor_model",
    "supports_prompt_caching",
)
TARGET = Path(__file__).with_name("model_prices.json")
MEMBER = "litellm/model_prices_and_context_window_backup.json"


def trim(full: dict) -> dict:
    models = {}
    for name, spec in sorted(full.items()):
        if not isinstance(spec, dict) or spec.get("mode") != "chat":
            continue
        if spec.get("litellm_provider") not in PROVIDERS or name.startswith("ft:"):
            continue
        if not isinstance(spec.get("input_cost_per_token"), (int, float)):
            continue
        models[name] = {k: spec[k] for k in FIELDS if k in spec}
    return models


def fetch_wheel_json() -> tuple[dict, str]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp, "litellm"],
                       check=True)
        wheel = next(Path(tmp).glob("litellm-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            return json.loads(zf.read(MEMBER)), wheel.name


def main(argv: list[str]) -> int:
    if argv:
        full, origin = json.loads(Path(argv[0]).read_text()), Path(argv[0]).name
    else:
        full, origin = fetch_wheel_json()
    models = trim(full)
    document = {"source": f"LiteLLM model price map ({origin}), MIT licence; see NOTICE",
                "retrieved": date.today().isoformat(), "unit": "USD per token", "models": models}
    TARGET.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(models)} models to {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
