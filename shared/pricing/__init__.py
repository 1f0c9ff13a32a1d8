"""Model prices (a vendored copy of LiteLLM's price map) and record costing."""
from shared.pricing.catalog import Catalog, ModelPrice, catalog, cost_usd

__all__ = ["Catalog", "ModelPrice", "catalog", "cost_usd"]
