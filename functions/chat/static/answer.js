// The final answer of a run: its markdown, then the recommendations as a table
// and the spend as charts when the structured result carries them.
import { dollars, spendByDay, spendByModel } from "./charts.js";
import { renderMarkdown } from "./markdown.js";

const percent = (value, digits = 1) => `${Number(value || 0).toFixed(digits)}%`;
const confidence = (value) => percent(Number(value) <= 1 ? Number(value) * 100 : Number(value), 0);
const count = (value) => Number(value || 0).toLocaleString("en-US");

function cell(tag, text, className) {
  const node = document.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  if (tag === "th") node.scope = "col";
  return node;
}

export function recommendationsTable(optimization) {
  const table = document.createElement("table");
  table.className = "recs";
  table.createCaption().textContent = "Recommendations";
  const head = table.createTHead().insertRow();
  head.append(cell("th", "Lever"), cell("th", "Monthly saving", "num"), cell("th", "% of spend", "num"),
    cell("th", "Confidence", "num"), cell("th", "Evidence", "num"));
  const body = table.createTBody();
  for (const rec of optimization.recommendations) {
    const row = body.insertRow();
    row.dataset.lever = rec.lever || rec.id || "";
    const lever = cell("td", rec.title || rec.lever);
    if (rec.lever) lever.append(cell("span", rec.lever, "lever-id"));
    row.append(lever, cell("td", dollars(rec.monthly_savings_usd), "num"), cell("td", percent(rec.savings_pct), "num"),
      cell("td", confidence(rec.confidence), "num"),
      cell("td", `${count((rec.evidence || {}).records)} records`, "num"));
  }
  if (optimization.total_monthly_savings_usd !== undefined) {
    const total = table.createTFoot().insertRow();
    const label = cell("th", "Together");
    label.scope = "row";
    total.append(label, cell("td", dollars(optimization.total_monthly_savings_usd), "num"));
  }
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  wrap.append(table);
  return wrap;
}

export function renderAnswer(container, markdown, result) {
  const text = document.createElement("div");
  text.className = "markdown";
  text.innerHTML = renderMarkdown(markdown); // escaped by the renderer
  container.replaceChildren(text);
  const optimization = result && result.optimization;
  if (optimization && (optimization.recommendations || []).length) {
    container.append(recommendationsTable(optimization));
  }
  const data = result && result.data;
  if (data && (data.by_model || []).length) {
    const charts = document.createElement("div");
    charts.className = "charts";
    charts.append(spendByModel(data.by_model));
    if ((data.by_day || []).length) charts.append(spendByDay(data.by_day));
    container.append(charts);
  }
}
