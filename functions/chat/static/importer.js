// Usage import: a CSV or JSON Lines file, or the demo data, and what came of
// it: counts, then every rejected row with the field and the reason.
import { api } from "./api.js";

const $ = (id) => document.getElementById(id);
const count = (value) => Number(value || 0).toLocaleString("en-US");

function paragraph(text, className) {
  const p = document.createElement("p");
  p.textContent = text;
  if (className) p.className = className;
  return p;
}

function rejectedTable(errors) {
  const table = document.createElement("table");
  table.className = "rejected";
  table.createCaption().textContent = "Rejected rows";
  const head = table.createTHead().insertRow();
  for (const title of ["Row", "Field", "Why"]) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = title;
    head.append(th);
  }
  const body = table.createTBody();
  for (const error of errors) {
    const row = body.insertRow();
    for (const text of [error.row, error.field, error.reason]) row.insertCell().textContent = String(text ?? "");
  }
  const wrap = document.createElement("div");
  wrap.className = "table-wrap";
  wrap.append(table);
  return wrap;
}

function showResult(result) {
  const box = $("import-result");
  box.dataset.state = "done";
  box.replaceChildren(paragraph(`Imported ${count(result.imported)} rows, ${count(result.duplicates)} already `
    + `stored, ${count(result.rejected)} rejected.`, "summary"));
  const unpriced = Object.keys(result.unpriced_models || {});
  if (unpriced.length) box.append(paragraph(`No price known for: ${unpriced.join(", ")}.`));
  if ((result.errors || []).length) box.append(rejectedTable(result.errors));
  if (result.errors_truncated) box.append(paragraph("More rows were rejected than are listed here."));
}

function showFailure(prefix, err) {
  const box = $("import-result");
  box.dataset.state = "failed";
  box.replaceChildren(paragraph(`${prefix}: ${err.message}`, "error"));
  const details = err.details || {};
  const fields = details.fields || {};
  for (const [name, reason] of Object.entries(fields)) box.append(paragraph(`${name}: ${reason}`));
  if (details.committed) {
    box.append(paragraph(`${count(details.committed.imported)} rows were stored before it stopped; `
      + "send the same file again to finish."));
  }
}

function busy(text) {
  const box = $("import-result");
  box.dataset.state = "busy";
  box.replaceChildren(paragraph(text));
  $("import-upload").disabled = true;
  $("load-demo").disabled = true;
}

function idle() {
  $("import-upload").disabled = false;
  $("load-demo").disabled = false;
}

async function importFile() {
  const file = $("import-file").files[0];
  if (!file) {
    $("import-result").replaceChildren(paragraph("Choose a CSV or JSON Lines file first.", "error"));
    $("import-file").focus();
    return;
  }
  const type = /\.(jsonl|ndjson|json)$/i.test(file.name) ? "application/x-ndjson" : "text/csv";
  busy(`Importing ${file.name}…`);
  try {
    showResult(await api("/api/usage/import", { method: "POST", body: file, contentType: type }));
  } catch (err) {
    showFailure("The import failed", err);
  } finally {
    idle();
  }
}

async function loadDemo() {
  busy("Loading the demo data…");
  try {
    showResult(await api("/api/usage/demo", { method: "POST", body: {} }));
  } catch (err) {
    showFailure("The demo data could not be loaded", err);
  } finally {
    idle();
  }
}

export function setUpImport() {
  $("import-upload").addEventListener("click", importFile);
  $("load-demo").addEventListener("click", loadDemo);
}

export function resetImport() {
  $("import-result").replaceChildren();
  $("import-file").value = "";
}
