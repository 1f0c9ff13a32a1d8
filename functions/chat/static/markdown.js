// A small, safe markdown renderer for the answers: all text is escaped first,
// then a known subset becomes markup: headings, paragraphs, bold, italics,
// inline and fenced code, (nested) lists and pipe tables. No links, images or
// raw HTML, so an answer can never inject markup into the page.
const escapeHtml = (text) => text.replace(/[&<>"']/g, (c) => (
  { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

const LIST_ITEM = /^(\s*)([-*]|\d+\.)\s+(.*)$/;
const TABLE_ROW = /^\s*\|.*\|\s*$/;
const TABLE_RULE = /^\s*\|?\s*:?-{3,}/;
const BLOCK_START = /^(#{1,6}\s|```|\s*([-*]|\d+\.)\s|\s*\|)/;

function inline(text) {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, "<code>$1</code>")
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*(?!\w)/g, "$1<em>$2</em>");
}

function table(rows) {
  const cells = (row) => row.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
  const [head, , ...body] = rows;
  const th = cells(head).map((c) => `<th scope="col">${inline(c)}</th>`).join("");
  const trs = body.map((r) => `<tr>${cells(r).map((c) => `<td>${inline(c)}</td>`).join("")}</tr>`).join("");
  return `<div class="table-wrap"><table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table></div>`;
}

// A list starting at lines[start] whose items are indented by `indent`; deeper items nest in the last one.
function list(lines, start, indent) {
  const ordered = /^\d/.test(lines[start].trim());
  const items = [];
  let i = start;
  while (i < lines.length) {
    const match = lines[i].match(LIST_ITEM);
    if (!match || match[1].length < indent) break;
    if (match[1].length > indent && items.length) {
      const [nested, next] = list(lines, i, match[1].length);
      items[items.length - 1] += nested;
      i = next;
    } else {
      items.push(inline(match[3]));
      i += 1;
    }
  }
  const tag = ordered ? "ol" : "ul";
  return [`<${tag}>${items.map((item) => `<li>${item}</li>`).join("")}</${tag}>`, i];
}

export function renderMarkdown(source) {
  const lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
  // The answer's top heading level becomes h3: the page itself already uses h1 and h2.
  const top = Math.min(6, ...lines.filter((l) => /^#{1,6}\s/.test(l)).map((l) => l.match(/^#+/)[0].length));
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^```/.test(line)) {
      const code = [];
      for (i += 1; i < lines.length && !/^```/.test(lines[i]); i += 1) code.push(lines[i]);
      out.push(`<pre><code>${escapeHtml(code.join("\n"))}</code></pre>`);
      i += 1;
    } else if (TABLE_ROW.test(line) && TABLE_RULE.test(lines[i + 1] || "")) {
      const rows = [];
      while (i < lines.length && TABLE_ROW.test(lines[i])) { rows.push(lines[i]); i += 1; }
      out.push(table(rows));
    } else if (/^#{1,6}\s/.test(line)) {
      const level = Math.min(line.match(/^#+/)[0].length - top + 3, 6);
      out.push(`<h${level}>${inline(line.replace(/^#+\s*/, ""))}</h${level}>`);
      i += 1;
    } else if (LIST_ITEM.test(line)) {
      const [html, next] = list(lines, i, line.match(LIST_ITEM)[1].length);
      out.push(html);
      i = next;
    } else if (line.trim() === "") {
      i += 1;
    } else {
      const para = [line];
      for (i += 1; i < lines.length && lines[i].trim() !== "" && !BLOCK_START.test(lines[i]); i += 1) {
        para.push(lines[i]);
      }
      out.push(`<p>${inline(para.join(" "))}</p>`);
    }
  }
  return out.join("\n");
}
