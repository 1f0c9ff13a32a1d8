// Spend charts drawn as plain SVG: no library, no build step. Labels go in
// through textContent, so model names can never inject markup.
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

export const dollars = (value) => `$${Number(value || 0).toLocaleString("en-US",
  { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function figure(caption, svg, summary) {
  const fig = document.createElement("figure");
  fig.className = "chart";
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", summary);
  fig.append(cap, svg);
  return fig;
}

// Horizontal bars, one per model, longest first.
export function spendByModel(rows) {
  const items = (rows || []).slice(0, 8);
  const width = 360, rowHeight = 26, labelWidth = 150, height = items.length * rowHeight + 8;
  const max = Math.max(...items.map((r) => r.cost_usd || 0), 1e-9);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, "data-chart": "by-model" });
  items.forEach((row, i) => {
    const y = i * rowHeight + 4;
    const barWidth = Math.max(1, ((row.cost_usd || 0) / max) * (width - labelWidth - 70));
    svg.append(el("text", { x: 0, y: y + 15 }, row.model));
    const bar = el("rect", { class: "bar", x: labelWidth, y, width: barWidth, height: rowHeight - 8, rx: 2 });
    bar.append(el("title", {}, `${row.model}: ${dollars(row.cost_usd)}`));
    svg.append(bar, el("text", { x: labelWidth + barWidth + 4, y: y + 15 }, dollars(row.cost_usd)));
  });
  const summary = items.map((r) => `${r.model} ${dollars(r.cost_usd)}`).join(", ");
  return figure("Spend by model", svg, `Spend by model: ${summary}`);
}

// Columns, one per day, oldest first.
export function spendByDay(rows) {
  const items = rows || [];
  const width = 360, height = 160, bottom = 20, left = 4;
  const max = Math.max(...items.map((r) => r.cost_usd || 0), 1e-9);
  const step = items.length ? (width - left) / items.length : 0;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, "data-chart": "by-day" });
  items.forEach((row, i) => {
    const barHeight = Math.max(1, ((row.cost_usd || 0) / max) * (height - bottom - 10));
    const bar = el("rect", { class: "bar", x: left + i * step + 1, y: height - bottom - barHeight,
      width: Math.max(1, step - 2), height: barHeight });
    bar.append(el("title", {}, `${row.day}: ${dollars(row.cost_usd)}`));
    svg.append(bar);
  });
  if (items.length) {
    svg.append(el("text", { x: left, y: height - 5 }, items[0].day));
    svg.append(el("text", { x: width - 70, y: height - 5 }, items[items.length - 1].day));
  }
  const total = items.reduce((sum, r) => sum + (r.cost_usd || 0), 0);
  return figure("Spend by day", svg, `Spend by day over ${items.length} days, ${dollars(total)} in all`);
}
