"""Markdown answers per triage category, written only from the computed results (plain dicts).

``render(facts) -> (markdown, structured)``. Templates: spend_breakdown, usage_trends, performance,
cost_optimization, model_selection, caching, batching (figures + recommendations), help and
out_of_scope (answered directly), ``no_data`` (how to import records) and ``unavailable`` (the
database could not be read). Every figure printed comes from ``facts.data`` or
``facts.optimization`` and is formatted by ``report_format``; ``structured`` carries the same
figures unformatted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.agents.report import formatting as fmt
from shared.agents.report.text import (
    CAPABILITIES,
    EXAMPLE_QUESTIONS,
    IMPORT_GUIDE,
    OUT_OF_SCOPE_INTRO,
    TITLES,
    UNAVAILABLE,
)

TOP_N = 5


@dataclass(frozen=True)
class Facts:
    message: str
    triage: dict[str, Any]
    data: dict[str, Any] | None = None
    optimization: dict[str, Any] | None = None
    data_error: str | None = None
    optimization_error: str | None = None

    @property
    def category(self) -> str:
        return self.triage.get("category") or "help"

    @property
    def entities(self) -> dict[str, Any]:
        return self.triage.get("entities") or {}

    @property
    def time_range(self) -> dict | None:
        for source in (self.data, self.optimization):
            if source and source.get("range"):
                return source["range"]
        return self.entities.get("time_range")

    @property
    def spend(self) -> float:
        if self.data:
            return float(self.data["totals"]["cost_usd"] or 0.0)
        return float((self.optimization or {}).get("spend_usd") or 0.0)


def _days(facts: Facts) -> float | None:
    if facts.optimization and facts.optimization.get("days"):
        return float(facts.optimization["days"])
    return fmt.range_days(facts.time_range)


def _monthly(facts: Facts) -> float | None:
    days = _days(facts)
    return facts.spend * 30.0 / days if days else None


def _breakdown(rows: list[dict], key: str, total: float, label: str) -> tuple[list[str], list[dict]]:
    top = rows[:TOP_N]
    figures = [{key: r.get(key), "cost_usd": r.get("cost_usd"), "requests": r.get("requests"),
                "share_pct": fmt.share_pct(r.get("cost_usd"), total)} for r in top]
    lines = fmt.table([label, "Spend", "% of spend", "Requests"],
                      [[f"`{f[key]}`", fmt.usd(f["cost_usd"]), fmt.pct(f["share_pct"]), fmt.count(f["requests"])]
                       for f in figures])
    if len(rows) > TOP_N:
        rest = sum(float(r.get("cost_usd") or 0) for r in rows[TOP_N:])
        lines.append(f"| {len(rows) - TOP_N} more | {fmt.usd(rest)} | {fmt.pct(fmt.share_pct(rest, total))} | |")
    return lines, figures


def _spend_lines(facts: Facts, data: dict[str, Any], figures: dict) -> list[str]:
    totals = data["totals"]
    figures["totals"] = totals
    lines = [f"You spent **{fmt.usd(totals['cost_usd'])}** on {fmt.count(totals['requests'])} requests "
             f"({fmt.count(totals['prompt_tokens'])} prompt and {fmt.count(totals['completion_tokens'])} "
             f"completion tokens)."]
    monthly = _monthly(facts)
    if monthly is not None:
        figures["monthly_run_rate_usd"] = monthly
        lines[0] += f" That is a run-rate of about **{fmt.usd(monthly)} a month**."
    if totals.get("unpriced_requests"):
        lines.append(f"{fmt.count(totals['unpriced_requests'])} requests are on models missing from the price "
                     "catalog and carry no cost; they are not counted in the spend.")
    return lines


def _mentions(facts: Facts, data: dict[str, Any], figures: dict) -> list[str]:
    """What the question named (models, features), found in the breakdowns or said to be absent."""
    lines, found = [], []
    for key, rows_key in (("models", "by_model"), ("features", "by_feature")):
        rows = {r.get(key[:-1]): r for r in data.get(rows_key) or []}
        for name in facts.entities.get(key) or []:
            row = rows.get(name)
            if row is None:
                lines.append(f"- `{name}`: no records in this range.")
                found.append({"kind": key[:-1], "name": name, "cost_usd": 0.0, "requests": 0})
                continue
            share = fmt.share_pct(row.get("cost_usd"), facts.spend)
            lines.append(f"- `{name}`: {fmt.usd(row.get('cost_usd'))} ({fmt.pct(share)} of spend), "
                         f"{fmt.count(row.get('requests'))} requests.")
            found.append({"kind": key[:-1], "name": name, "cost_usd": row.get("cost_usd"),
                          "requests": row.get("requests"), "share_pct": share})
    if found:
        figures["mentioned"] = found
        return ["", "**What you asked about**", *lines]
    return []


def _top_tables(facts: Facts, data: dict[str, Any], figures: dict,
                which: tuple[str, ...] = ("model", "feature")) -> list[str]:
    lines = []
    total = facts.spend
    for key in which:
        rows = data.get(f"by_{key}") or []
        if not rows:
            continue
        table, top = _breakdown(rows, key, total, key.capitalize())
        figures[f"top_{key}s"] = top
        lines += ["", f"**Top {key}s by spend**", "", *table]
    return lines


def _sentence(text: Any) -> str:
    text = str(text).strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def _recommendation_lines(facts: Facts, figures: dict) -> list[str]:
    if facts.optimization is None:
        if facts.optimization_error:
            figures["optimization_error"] = facts.optimization_error
            return ["", f"I could not compute savings: {facts.optimization_error}"]
        return []
    opt = facts.optimization
    recs = opt.get("recommendations") or []
    total = float(opt.get("total_monthly_savings_usd") or 0.0)
    figures.update(recommendations=recs, not_recommended=opt.get("not_recommended") or [],
                   total_monthly_savings_usd=total)
    lines = [""]
    if not recs:
        lines.append("**No saving found** that your records support for the levers examined.")
    else:
        monthly = _monthly(facts)
        share = f" ({fmt.pct(fmt.share_pct(total, monthly))} of the monthly run-rate)" if monthly else ""
        lines.append(f"**{len(recs)} recommendation{'s' if len(recs) != 1 else ''}**, together about "
                     f"**{fmt.usd(total)} a month**{share}:")
        for index, rec in enumerate(recs, 1):
            evidence = rec.get("evidence") or {}
            samples = ", ".join(f"`{s}`" for s in (evidence.get("sample_request_ids") or [])[:3])
            lines += [
                f"{index}. **{rec.get('title') or rec.get('lever')}** (`{rec.get('lever')}`): saves "
                f"**{fmt.usd(rec.get('monthly_savings_usd'))} a month** ({fmt.pct(rec.get('savings_pct'))} "
                f"of spend), confidence {fmt.confidence(rec.get('confidence'))}.",
                f"   - Method: {rec.get('method')}",
                f"   - Evidence: {fmt.count(evidence.get('records'))} records"
                + (f" (e.g. {samples})" if samples else "") + ".",
            ]
            if rec.get("assumptions"):
                lines.append("   - Assumptions: " + " ".join(_sentence(a) for a in rec["assumptions"]))
            if rec.get("risk"):
                lines.append(f"   - Risk: {rec['risk']}")
        if len(recs) > 1:
            lines.append("The total is not a plain sum: levers that touch the same requests are "
                         "combined so that no dollar is saved twice.")
    skipped = opt.get("not_recommended") or []
    if skipped:
        lines += ["", "**Not recommended**"]
        lines += [f"- `{s.get('lever')}`: {s.get('reason')}" for s in skipped]
    return lines + _target_lines(facts, figures, total)


def _target_lines(facts: Facts, figures: dict, savings: float) -> list[str]:
    monthly = _monthly(facts)
    if not monthly:
        return []
    lines, targets = [], {}
    budget = facts.entities.get("budget_usd")
    if budget:
        after = max(monthly - savings, 0.0)
        targets["budget_usd"] = {"budget": budget, "run_rate": monthly, "after_savings": after,
                                 "met": after <= budget}
        verdict = "within" if after <= budget else f"still {fmt.usd(after - budget)} over"
        lines.append(f"- Budget {fmt.usd(budget)} a month: with these savings the run-rate would be "
                     f"{fmt.usd(after)}, {verdict} budget.")
    percentage = facts.entities.get("percentage")
    if percentage:
        reached = fmt.share_pct(savings, monthly) or 0.0
        targets["percentage"] = {"target": percentage, "reached": reached, "met": reached >= percentage}
        lines.append(f"- Target cut {fmt.pct(percentage)}: these recommendations reach {fmt.pct(reached)}.")
    if targets:
        figures["targets"] = targets
        return ["", "**Your target**", *lines]
    return []


def _trend_lines(data: dict[str, Any], figures: dict) -> list[str]:
    days = data.get("by_day") or []
    if not days:
        return []
    peak = max(days, key=lambda d: float(d.get("cost_usd") or 0))
    average = sum(float(d.get("cost_usd") or 0) for d in days) / len(days)
    half = len(days) // 2
    trend = {"days_with_traffic": len(days), "average_daily_usd": average, "peak_day": peak}
    lines = ["", f"Spend was recorded on {len(days)} days, **{fmt.usd(average)} a day** on average; the "
             f"peak was {peak['day']} at {fmt.usd(peak.get('cost_usd'))} ({fmt.count(peak.get('requests'))} requests)."]
    if half:
        first = sum(float(d.get("cost_usd") or 0) for d in days[:half])
        second = sum(float(d.get("cost_usd") or 0) for d in days[-half:])
        change = fmt.share_pct(second - first, first)
        trend.update(first_half_usd=first, second_half_usd=second, change_pct=change)
        if change is not None:
            direction = "up" if change > 0 else "down" if change < 0 else "flat"
            span = f"{half} day{'s' if half != 1 else ''}"
            lines.append(f"The last {span} with traffic cost {fmt.usd(second)} against {fmt.usd(first)} for "
                         f"the first {span}: {direction} {fmt.pct(abs(change))}.")
    hourly = data.get("hourly_profile") or []
    if any(hourly):
        busiest = max(range(len(hourly)), key=lambda h: hourly[h])
        trend["busiest_hour_utc"] = busiest
        lines.append(f"The busiest hour is {busiest:02d}:00 UTC ({fmt.count(hourly[busiest])} requests).")
    lines += ["", *fmt.table(["Day", "Spend", "Requests"],
                             [[d["day"], fmt.usd(d.get("cost_usd")), fmt.count(d.get("requests"))]
                              for d in days[-14:]])]
    if len(days) > 14:
        lines += ["", f"(last 14 of {len(days)} days shown)"]
    figures["trend"] = trend
    return lines


def _performance_lines(data: dict[str, Any], figures: dict) -> list[str]:
    totals, latency = data["totals"], data.get("latency_ms") or {}
    error_rate = float(totals.get("error_rate") or 0.0)
    figures["performance"] = {"latency_ms": latency, "errors": totals.get("errors"), "error_rate": error_rate}
    lines = ["", f"Latency: p50 **{fmt.ms(latency.get('p50'))}**, p95 **{fmt.ms(latency.get('p95'))}**. "
             f"Errors: {fmt.count(totals.get('errors'))} of {fmt.count(totals.get('requests'))} requests "
             f"({fmt.pct(error_rate * 100 if error_rate <= 1 else error_rate, 2)})."]
    percentiles = data.get("token_percentiles") or {}
    if percentiles:
        rows = [[f"`{feature}`", fmt.count(p.get("prompt", {}).get("p50")), fmt.count(p.get("prompt", {}).get("p95")),
                 fmt.count(p.get("completion", {}).get("p50")), fmt.count(p.get("completion", {}).get("p95")),
                 fmt.count(p.get("completion", {}).get("p99"))]
                for feature, p in sorted(percentiles.items())]
        lines += ["", "**Tokens per request by feature**", "",
                  *fmt.table(["Feature", "Prompt p50", "Prompt p95", "Output p50", "Output p95", "Output p99"], rows)]
    return lines


def _no_data(facts: Facts, figures: dict) -> list[str]:
    return [f"I found **no usage records** for you in {fmt.range_text(facts.time_range)}, so there is "
            "nothing to analyse yet. If you imported records for another period, ask about that period "
            "(for example \"in October\").", "", *IMPORT_GUIDE]


def _figures_body(facts: Facts, data: dict[str, Any], figures: dict) -> list[str]:
    category = facts.category
    lines = _spend_lines(facts, data, figures)
    if category == "usage_trends":
        lines += _trend_lines(data, figures)
    elif category == "performance":
        lines += _performance_lines(data, figures)
    elif category == "caching":
        share = data.get("repeated_prompt_share")
        figures["repeated_prompt_share"] = share
        if share is not None:
            lines.append(f"{fmt.pct(float(share) * 100)} of your requests with a prompt hash repeat an "
                         "earlier prompt in this range.")
    elif category == "batching":
        lines += _top_tables(facts, data, figures, ("feature",))
    elif category == "model_selection":
        lines += _top_tables(facts, data, figures, ("model",))
    if category in ("spend_breakdown", "cost_optimization"):
        lines += _top_tables(facts, data, figures)
        if category == "spend_breakdown" and len(data.get("by_provider") or []) > 1:
            lines += _top_tables(facts, data, figures, ("provider",))
    lines += _mentions(facts, data, figures)
    return lines


def render(facts: Facts) -> tuple[str, dict[str, Any]]:
    category = facts.category
    figures: dict[str, Any] = {}
    title = TITLES.get(category, "Answer")
    if category == "help":
        lines = [*CAPABILITIES, "", "**Try asking**", *EXAMPLE_QUESTIONS, "", *IMPORT_GUIDE]
        status = "not_needed"
    elif category == "out_of_scope":
        lines = [*OUT_OF_SCOPE_INTRO, "", *CAPABILITIES]
        status = "not_needed"
    elif facts.data_error:
        lines = [UNAVAILABLE]
        figures["data_error"] = facts.data_error
        status = "unavailable"
    elif facts.triage.get("data_sufficiency") == "none" or (
            facts.data is not None and not facts.data["totals"].get("requests")):
        lines, status = _no_data(facts, figures), "no_data"
    elif facts.data is not None:
        lines = _figures_body(facts, facts.data, figures) + _recommendation_lines(facts, figures)
        if facts.triage.get("data_sufficiency") == "partial":
            lines += ["", "_Few records cover this range, so treat these figures as indicative._"]
        status = "ok"
    elif facts.optimization is not None:
        lines = _recommendation_lines(facts, figures)
        status = "ok"
    else:
        lines, status = ["I had no figures to report for this question."], "not_needed"
    if status in ("ok", "no_data", "unavailable"):
        title += f" for {fmt.range_text(facts.time_range)}"
        figures["range"] = facts.time_range
        figures["days"] = _days(facts)
    markdown = "\n".join([f"### {title}", "", *lines]).rstrip() + "\n"
    structured = {
        "category": category,
        "intent": facts.triage.get("intent"),
        "data_status": status,
        "time_range_source": facts.triage.get("time_range_source"),
        **figures,
    }
    return markdown, structured
