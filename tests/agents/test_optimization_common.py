"""The small rules every lever shares, on exact values: the proposed cap, weighted confidence,
sample ids, tiers, and re-pricing."""
from __future__ import annotations

import pytest

from shared.agents.optimization import tiers
from shared.agents.optimization.common import (
    merged_samples,
    money,
    repriced,
    weighted_confidence,
)
from shared.agents.optimization.max_tokens import proposed_cap


@pytest.mark.parametrize(("p99", "cap"), [(0, 0), (1, 64), (42, 64), (43, 128), (85, 128), (100, 192),
                                          (128, 192), (129, 256), (1000, 1536)])
def test_the_proposed_cap_is_p99_and_a_half_rounded_up_to_64(p99, cap):
    assert proposed_cap(p99) == cap and type(proposed_cap(p99)) is int


def test_confidence_is_weighted_by_dollars_saved_to_two_places():
    assert weighted_confidence([(1.0, 0.333), (2.0, 0.5)]) == 0.44
    assert weighted_confidence([(3.0, 0.45), (1.0, 0.7)]) == 0.51
    assert weighted_confidence([]) == 0.0
    assert weighted_confidence([(0.0, 0.9)]) == 0.0


def test_sample_ids_are_distinct_sorted_and_at_most_five():
    assert merged_samples(["r-3", None, "r-1"], ["r-1", "r-2"]) == ["r-1", "r-2", "r-3"]
    assert merged_samples([f"r-{i}" for i in range(9, 0, -1)]) == ["r-1", "r-2", "r-3", "r-4", "r-5"]
    assert merged_samples(["r-2", "r-1"], limit=1) == ["r-1"]
    assert merged_samples([None, ""]) == []


def test_repricing_scales_the_catalog_difference_to_what_was_paid():
    assert repriced(2.0, 4.0, 1.0) == 1.5
    assert repriced(2.0, 4.0, 4.0) == 0.0 and repriced(2.0, 4.0, 5.0) == 0.0
    assert repriced(0.0, 4.0, 1.0) == 0.0 and repriced(2.0, 0.0, 0.0) == 0.0
    assert repriced(2.0, 4.0, -1.0) == 2.0  # never more than was paid


def test_money_shows_cents_or_micro_dollars():
    assert (money(1234.5), money(0.01), money(0.0099), money(-0.5)) == ("$1,234.50", "$0.01", "$0.009900", "$-0.50")


def test_tiers_by_exact_name_snapshot_and_order():
    assert tiers.tier_of("gpt-4o") == "balanced" and tiers.tier_of("gpt-4o-mini-2024-07-18") == "efficient"
    assert tiers.tier_of("claude-haiku-4-5-20251001") == "efficient" and tiers.tier_of("unknown-model") is None
    assert tiers.family("gpt-4o-2024-08-06") == "gpt-4o" and tiers.family("gpt-4o-20240806") == "gpt-4o"
    assert tiers.members("no-such-tier") == () and tiers.members("nano")[0] == "gpt-5-nano"
    assert [tiers.lower_tier(t) for t in tiers.TIER_ORDER] == ["balanced", "efficient", "nano", None]
