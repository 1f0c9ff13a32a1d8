"""Levers ``response_caching`` and ``prompt_caching``: paying once for requests that repeat.

Both replay the records ordered by (prompt hash, model, time): a request is a repeat when the
same prompt hash went to the same model, successfully, shortly before (``usage_profile``).

- Response caching (an application cache keyed by model and exact prompt) answers a repeat
  without calling the model: the repeat's whole cost is saved. An entry lives ``TTL`` after its
  last use (expire-after-access), so a repeat hits when the previous twin is less than the TTL
  earlier. Recommended at 1 hour; the 24-hour figure is given as an assumption to weigh staleness
  against. Only successful single requests with a prompt hash can hit.
- Prompt caching (the provider's) bills the cached prefix of a repeat at the cache-read rate
  and the first request's prefix at the cache-write rate where the catalog has one (Anthropic:
  1.25x input; OpenAI's automatic caching writes at the input rate). A prefix is cacheable from
  1,024 tokens in 128-token steps and lives 5 minutes after its last use. Tokens already billed
  as cached or written are subtracted. Per (feature, model): reads x (input - cache read) minus
  writes x (cache write - input); where that is not positive, caching would lose money and the
  pair is listed as not recommended with the amount. Batch cells are left out (their rates mix
  two discounts the catalog does not price together).
"""
from __future__ import annotations

from shared.agents.optimization import levers
from shared.agents.optimization.common import (
    Context,
    Outcome,
    Recommendation,
    list_price,
    merged_samples,
    money,
)

RESPONSE = levers.RESPONSE_CACHING
PROMPT = levers.PROMPT_CACHING


def evaluate_response(ctx: Context) -> Outcome:
    outcome = Outcome(RESPONSE)
    hit_cells = [c for c in ctx.cells() if c.m.hits_1h > 0 and c.m.hits_1h_cost > 0]
    ttl, confidence = "1 hour", 0.6
    if not hit_cells:
        hit_cells = [c for c in ctx.cells() if c.m.hits_24h > 0 and c.m.hits_24h_cost > 0]
        ttl, confidence = "24 hours", 0.5
    if not hit_cells:
        return outcome.skip("No priced request repeated an earlier identical prompt to the same model "
                            "within 24 hours.")
    use_day = ttl == "24 hours"
    saving = records = 0.0
    for cell in hit_cells:
        cell_saving = cell.m.hits_24h_cost if use_day else cell.m.hits_1h_cost
        outcome.add_saving(cell, cell_saving)
        saving += cell_saving
        records += cell.m.hits_24h if use_day else cell.m.hits_1h
    day_saving = sum(c.m.hits_24h_cost for c in ctx.cells())
    day_hits = sum(c.m.hits_24h for c in ctx.cells())
    hit_cells.sort(key=lambda c: -(c.m.hits_24h_cost if use_day else c.m.hits_1h_cost))
    samples = merged_samples([c.m.hit_sample_first for c in hit_cells], [c.m.hit_sample_last for c in hit_cells])
    outcome.recommendation = Recommendation(
        lever=RESPONSE, title=f"Cache responses to repeated prompts for {ttl}", saving=saving,
        confidence=confidence,
        method=(f"Replayed the records in time order per model and prompt hash: {int(records):,} successful "
                f"requests repeated a prompt answered less than {ttl} earlier; each such repeat is served "
                "from the cache at no cost."),
        assumptions=[
            "The prompt hash covers the whole request, so an identical hash would get an acceptable identical answer.",
            "A cache entry expires after its TTL without use; every use keeps it alive.",
            f"With a 24-hour TTL the saving would be {money(ctx.monthly(day_saving))}/month "
            f"({day_hits:,} repeats in the range).",
        ],
        records=int(records), sample_request_ids=samples,
        risk="Users get the stored answer: unsuitable where answers must be fresh or deliberately varied.",
        details=[{"feature": c.feature, "model": c.model,
                  "repeats": c.m.hits_24h if use_day else c.m.hits_1h,
                  "saving_usd": round(c.m.hits_24h_cost if use_day else c.m.hits_1h_cost, 9)} for c in hit_cells],
    )
    return outcome


def _prompt_cache_net(ctx: Context, cell) -> tuple[float, float, float] | None:
    """(reads saving, writes premium, net) in the dollars actually paid, or None without catalog rates."""
    price = ctx.price(cell)
    if price is None or price.cache_read is None:
        return None
    reads = cell.m.prompt_cache_read_tokens * max(price.input - price.cache_read, 0.0)
    premium_rate = max((price.cache_write if price.cache_write is not None else price.input) - price.input, 0.0)
    writes = cell.m.prompt_cache_write_tokens * premium_rate
    base = list_price(price, cell.m, cell.batch)
    scale = cell.m.cost_usd / base if base > 0 else 0.0
    return reads * scale, writes * scale, (reads - writes) * scale


def evaluate_prompt(ctx: Context) -> Outcome:
    outcome = Outcome(PROMPT)
    winners, losers, unpriced = [], [], set()
    for cell in ctx.cells():
        if cell.batch or cell.m.prompt_cache_hits + cell.m.prompt_cache_misses == 0 or cell.m.cost_usd <= 0:
            continue
        net = _prompt_cache_net(ctx, cell)
        if net is None:
            unpriced.add(cell.model)
            continue
        reads, writes, value = net
        if value > 0:
            winners.append((cell, reads, writes, value))
        elif writes > 0:  # cache writes would cost more than the reads save
            losers.append((cell, reads, writes, value))
    for cell, reads, writes, value in losers:
        outcome.skip(
            f"Prompt caching for {cell.feature} on {cell.model} would not pay: {cell.m.prompt_cache_misses:,} "
            f"cache writes cost {money(ctx.monthly(writes))}/month extra against {money(ctx.monthly(reads))}/month "
            f"saved on {cell.m.prompt_cache_hits:,} reads within 5 minutes (net {money(ctx.monthly(value))}/month).",
            feature=cell.feature, model=cell.model, monthly_net_usd=round(ctx.monthly(value), 6))
    if unpriced:
        outcome.skip(f"The catalog has no cache-read price for {', '.join(sorted(unpriced))}.")
    if not winners:
        if not outcome.not_recommended:
            outcome.skip("No prompt of at least 1,024 tokens was repeated to the same model within 5 minutes.")
        return outcome
    winners.sort(key=lambda w: -w[3])
    for cell, _, _, value in winners:
        outcome.add_saving(cell, value)
    saving = sum(w[3] for w in winners)
    hits = sum(w[0].m.prompt_cache_hits for w in winners)
    outcome.recommendation = Recommendation(
        lever=PROMPT, title="Turn on provider prompt caching for repeated long prompts", saving=saving,
        confidence=0.7,
        method=(f"Replayed prompts of 1,024+ tokens per model and prompt hash with a 5-minute TTL: {hits:,} reads "
                "billed at the catalog cache-read rate, each first request billed at the cache-write rate, "
                "net of tokens already cached."),
        assumptions=[
            "Only whole-prompt repeats (same prompt hash) are visible; shared prefixes of different prompts "
            "would add savings not counted here.",
            "Cacheable prefix: 1,024 tokens then 128-token steps; a cache entry lives 5 minutes after its last use.",
        ],
        records=hits, sample_request_ids=merged_samples([w[0].m.prompt_hit_sample for w in winners]),
        risk="Needs a stable prompt prefix (Anthropic: explicit cache breakpoints). Overlaps response caching: "
             "the same repeats cannot be saved twice.",
        details=[{"feature": c.feature, "model": c.model, "reads": c.m.prompt_cache_hits,
                  "writes": c.m.prompt_cache_misses, "saving_usd": round(v, 9)} for c, _, _, v in winners],
    )
    return outcome
