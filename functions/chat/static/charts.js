// Spend charts drawn as plain SVG: no library, no build step. Labels go in
// through textContent, so model names can never inject markup; each chart
// carries a text summary for screen readers.
const SVG = "http://www.w3.org/2000/svg";
const MAX_MODELS = 8;
const MAX_LABEL = 24;

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// Cents, except amounts under a cent, which keep four decimals rather than read $0.00.
export function dollars(value) {
  const amount = Number(value || 0);
  if (amount > 0 && amount < 0.01) return amount < 0.00005 ? "under $0.0001" : `$${amount.toFixed(4)}`;
  return `$${amount.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

const short = (text) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

function figure(caption, svg, summary, kind) {
  const fig = document.createElement("figure");
  fig.className = "chart";
  fig.dataset.chart = kind;
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", summary);
  fig.append(cap, svg);
  return fig;
}

// Horizontal bars, one per model, largest spend first.
export function spendByModel(rows) {
  const items = [...(rows || [])].sort((a, b) => (b.cost_usd || 0) - (a.cost_usd || 0)).slice(0, MAX_MODELS);
  const width = 360, rowHeight = 24, labelWidth = 140, valueWidth = 64;
  const height = items.length * rowHeight + 4;
  const max = Math.max(...items.map((r) => r.cost_usd || 0), 1e-9);
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMinYMin meet" });
  items.forEach((row, i) => {
    const y = i * rowHeight + 2;
    const barWidth = Math.max(1, ((row.cost_usd || 0) / max) * (width - labelWidth - valueWidth));
    const label = el("text", { x: 0, y: y + 14 }, short(row.model));
    label.append(el("title", {}, row.model));
    const bar = el("rect", { class: "bar", x: labelWidth, y, width: barWidth, height: rowHeight - 6, rx: 2 });
    bar.append(el("title", {}, `${row.model}: ${dollars(row.cost_usd)}`));
    svg.append(label, bar, el("text", { x: labelWidth + barWidth + 4, y: y + 14 }, dollars(row.cost_usd)));
  });
  const summary = items.map((r) => `${r.model} ${dollars(r.cost_usd)}`).join(", ");
  return figure("Spend by model", svg, `Spend by model: ${summary}`, "by-model");
}

// Columns, one per day, oldest first, with the busiest day's spend as the scale.
export function spendByDay(rows) {
  const items = [...(rows || [])].sort((a, b) => String(a.day).localeCompare(String(b.day)));
  const width = 360, height = 170, top = 16, bottom = 20;
  const max = Math.max(...items.map((r) => r.cost_usd || 0), 1e-9);
  const step = items.length ? width / items.length : 0;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "xMinYMin meet" });
  svg.append(el("line", { class: "axis", x1: 0, x2: width, y1: height - bottom, y2: height - bottom }));
  items.forEach((row, i) => {
    const barHeight = Math.max(1, ((row.cost_usd || 0) / max) * (height - bottom - top));
    const bar = el("rect", { class: "bar", x: i * step + 1, y: height - bottom - barHeight,
      width: Math.max(1, step - 2), height: barHeight });
    bar.append(el("title", {}, `${row.day}: ${dollars(row.cost_usd)}`));
    svg.append(bar);
  });
  if (items.length) {
    svg.append(el("text", { x: 0, y: 11 }, `max ${dollars(max)} a day`));
    svg.append(el("text", { x: 0, y: height - 5 }, items[0].day));
    svg.append(el("text", { x: width, y: height - 5, "text-anchor": "end" }, items[items.length - 1].day));
  }
  const total = items.reduce((sum, r) => sum + (r.cost_usd || 0), 0);
  return figure("Spend by day", svg, `Spend by day over ${items.length} days, ${dollars(total)} in all`, "by-day");
}
