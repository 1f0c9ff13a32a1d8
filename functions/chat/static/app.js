// The Tokenwise chat page: log in, import usage, ask, watch the agents, read the answer.
import { api, clearSession, currentUser, hasSession, login, logout, onSessionExpired, register } from "./api.js";
import { dollars, spendByDay, spendByModel } from "./charts.js";
import { renderMarkdown } from "./markdown.js";
import { ChatSocket } from "./socket.js";

const $ = (id) => document.getElementById(id);
const state = { mode: "login", threadId: null, runs: new Map(), activeRun: null, socket: null, pending: new Map() };

function show(view) {
  $("auth-view").hidden = view !== "auth";
  $("app-view").hidden = view !== "app";
  $("account").hidden = view !== "app";
}

function banner(text) {
  $("banner").textContent = text || "";
  $("banner").hidden = !text;
}

// ---- sign in -------------------------------------------------------------
function setMode(mode) {
  state.mode = mode;
  const signup = mode === "signup";
  $("auth-title").textContent = signup ? "Create an account" : "Log in";
  $("auth-submit").textContent = signup ? "Sign up" : "Log in";
  $("auth-toggle").textContent = signup ? "Have an account? Log in" : "New here? Create an account";
  $("auth-name-row").hidden = !signup;
  $("auth-password").autocomplete = signup ? "new-password" : "current-password";
  $("auth-error").textContent = "";
}

async function submitAuth(event) {
  event.preventDefault();
  const email = $("auth-email").value.trim();
  const password = $("auth-password").value;
  $("auth-error").textContent = "";
  try {
    if (state.mode === "signup") await register(email, password, $("auth-name").value.trim());
    else await login(email, password);
    $("auth-password").value = "";
    await enterApp();
  } catch (err) {
    const fields = err.details && err.details.fields;
    $("auth-error").textContent = fields ? Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join("; ") : err.message;
  }
}

function sessionExpired(message = "Your session has expired. Please log in again.") {
  if (state.socket) state.socket.close();
  state.socket = null;
  clearSession();
  setMode("login");
  show("auth");
  banner(message);
  $("auth-email").focus();
}

async function enterApp() {
  banner("");
  show("app");
  $("account-email").textContent = (currentUser() || {}).email || "";
  state.socket = new ChatSocket({ onFrame, onStatus: (s) => { $("connection").textContent = s; }, onExpired: () => sessionExpired() });
  await state.socket.connect();
  await loadThreads();
  $("composer-input").focus();
}

// ---- threads ---------------------------------------------------------------
async function loadThreads() {
  const { threads } = await api("/api/threads");
  const list = $("thread-list");
  list.replaceChildren(...threads.map((thread) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = thread.title || "Untitled";
    button.dataset.threadId = thread.id;
    button.setAttribute("aria-current", String(thread.id === state.threadId));
    button.addEventListener("click", () => openThread(thread.id));
    item.append(button);
    return item;
  }));
}

async function openThread(threadId) {
  state.threadId = threadId;
  const { messages } = await api(`/api/threads/${encodeURIComponent(threadId)}/messages`);
  $("messages").replaceChildren();
  for (const message of messages) {
    if (message.role === "user") addUserMessage(message.content);
    else addAssistantMessage().renderFinal(message.content, message.result);
  }
  await loadThreads();
}

// ---- messages ---------------------------------------------------------------
function addUserMessage(text) {
  const item = document.createElement("li");
  item.className = "message user";
  const who = document.createElement("div");
  who.className = "who";
  who.textContent = "You";
  const body = document.createElement("div");
  body.textContent = text;
  item.append(who, body);
  $("messages").append(item);
  item.scrollIntoView({ block: "end" });
}

function recommendationsTable(recommendations, spend) {
  const table = document.createElement("table");
  table.className = "recs";
  table.innerHTML = "<caption>Recommendations</caption><thead><tr><th>Lever</th><th class=num>Monthly saving</th>" +
    "<th class=num>% of spend</th><th>Confidence</th><th class=num>Evidence</th></tr></thead>";
  const body = document.createElement("tbody");
  for (const rec of recommendations) {
    const row = document.createElement("tr");
    const cells = [rec.title || rec.lever, dollars(rec.monthly_savings_usd), `${Number(rec.savings_pct || 0).toFixed(1)}%`,
      String(rec.confidence), `${(rec.evidence || {}).records || 0} records`];
    cells.forEach((text, i) => {
      const cell = document.createElement("td");
      if (i === 1 || i === 2 || i === 4) cell.className = "num";
      cell.textContent = text;
      row.append(cell);
    });
    body.append(row);
  }
  table.append(body);
  table.dataset.spend = String(spend || 0);
  return table;
}

function addAssistantMessage() {
  const item = document.createElement("li");
  item.className = "message assistant";
  const who = document.createElement("div");
  who.className = "who";
  who.textContent = "Tokenwise";
  const progress = document.createElement("ul");
  progress.className = "progress";
  progress.setAttribute("aria-label", "Agent progress");
  const answer = document.createElement("div");
  answer.className = "answer";
  item.append(who, progress, answer);
  $("messages").append(item);
  const view = {
    item,
    progress,
    event(frame) {
      const line = document.createElement("li");
      line.dataset.type = frame.type;
      const agent = document.createElement("span");
      agent.className = "agent";
      agent.textContent = frame.agent;
      const p = frame.payload || {};
      const text = {
        agent_started: "started",
        agent_thinking: p.thought || "thinking…",
        tool_executing: `running ${p.tool || "a tool"}…`,
        tool_completed: `${p.tool || "tool"} finished in ${Math.round(p.duration_ms || 0)} ms`,
        agent_completed: "done",
        agent_error: `error: ${p.message || p.code || "unknown"}`,
      }[frame.type] || frame.type;
      line.append(agent, document.createTextNode(` ${text}`));
      progress.append(line);
      item.scrollIntoView({ block: "end" });
    },
    renderFinal(markdown, result) {
      answer.innerHTML = renderMarkdown(markdown);
      const optimization = result && result.optimization;
      if (optimization && optimization.recommendations && optimization.recommendations.length) {
        answer.append(recommendationsTable(optimization.recommendations, optimization.spend_usd));
      }
      const data = result && result.data;
      if (data && (data.by_model || []).length) {
        const charts = document.createElement("div");
        charts.className = "charts";
        charts.append(spendByModel(data.by_model), spendByDay(data.by_day));
        answer.append(charts);
      }
    },
  };
  return view;
}

function setRunning(runId) {
  state.activeRun = runId;
  $("stop").hidden = !runId;
  $("send").disabled = false;
}

function onFrame(frame) {
  if (frame.type === "message_received") {
    state.threadId = frame.thread_id;
    const view = state.pending.get(frame.client_message_id);
    state.pending.delete(frame.client_message_id);
    state.runs.set(frame.run_id, { view, lastEventId: null });
    setRunning(frame.run_id);
    loadThreads();
    return;
  }
  if (frame.type === "notice") { banner(frame.message || "History is not being saved right now."); return; }
  if (frame.type === "error") { banner(frame.message || `Error: ${frame.code}`); return; }
  if (!frame.run_id || !state.runs.has(frame.run_id)) return;
  const run = state.runs.get(frame.run_id);
  if (run.lastEventId && frame.event_id <= run.lastEventId) return; // already shown before a reconnect
  run.lastEventId = frame.event_id;
  state.socket.resumeFrom = { run_id: frame.run_id, last_event_id: frame.event_id };
  run.view.event(frame);
  const final = frame.agent === "supervisor" && (frame.type === "agent_completed" || frame.type === "agent_error");
  if (final && frame.type === "agent_completed") run.view.renderFinal(frame.payload.answer, frame.payload.result);
  if (final && frame.type === "agent_completed" || (frame.type === "agent_error" && frame.payload && frame.payload.code === "cancelled")) {
    state.socket.resumeFrom = null;
    if (state.activeRun === frame.run_id) setRunning(null);
  }
}

function ask(event) {
  event.preventDefault();
  const content = $("composer-input").value.trim();
  if (!content) return;
  $("composer-input").value = "";
  addUserMessage(content);
  const clientMessageId = crypto.randomUUID();
  state.pending.set(clientMessageId, addAssistantMessage());
  state.socket.send({ type: "user_message", content, thread_id: state.threadId || undefined, client_message_id: clientMessageId });
}

// ---- import ------------------------------------------------------------------
function showImport(result) {
  const box = $("import-result");
  box.replaceChildren();
  const summary = document.createElement("p");
  summary.textContent = `Imported ${result.imported}, duplicates ${result.duplicates}, rejected ${result.rejected}.`;
  box.append(summary);
  if ((result.errors || []).length) {
    const table = document.createElement("table");
    table.innerHTML = "<caption>Rejected rows</caption><thead><tr><th>Row</th><th>Field</th><th>Why</th></tr></thead>";
    const body = document.createElement("tbody");
    for (const error of result.errors) {
      const row = document.createElement("tr");
      for (const text of [error.row, error.field, error.reason]) {
        const cell = document.createElement("td");
        cell.textContent = String(text ?? "");
        row.append(cell);
      }
      body.append(row);
    }
    table.append(body);
    box.append(table);
  }
}

async function importFile() {
  const file = $("import-file").files[0];
  if (!file) { $("import-result").textContent = "Choose a file first."; return; }
  const type = /\.(jsonl|ndjson)$/i.test(file.name) ? "application/x-ndjson" : "text/csv";
  $("import-result").textContent = "Importing…";
  try {
    showImport(await api("/api/usage/import", { method: "POST", body: file, contentType: type }));
  } catch (err) {
    $("import-result").textContent = `Import failed: ${err.message}`;
  }
}

async function loadDemo() {
  $("import-result").textContent = "Loading demo data…";
  try {
    showImport(await api("/api/usage/demo", { method: "POST", body: {} }));
  } catch (err) {
    $("import-result").textContent = `Could not load demo data: ${err.message}`;
  }
}

// ---- wiring ------------------------------------------------------------------
function init() {
  onSessionExpired((message) => sessionExpired(message));
  $("auth-form").addEventListener("submit", submitAuth);
  $("auth-toggle").addEventListener("click", () => setMode(state.mode === "login" ? "signup" : "login"));
  $("composer").addEventListener("submit", ask);
  $("composer-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("composer").requestSubmit(); }
  });
  $("stop").addEventListener("click", () => { if (state.activeRun) state.socket.send({ type: "stop_agent", run_id: state.activeRun }); });
  $("new-thread").addEventListener("click", () => { state.threadId = null; $("messages").replaceChildren(); loadThreads(); $("composer-input").focus(); });
  $("import-upload").addEventListener("click", importFile);
  $("load-demo").addEventListener("click", loadDemo);
  $("logout").addEventListener("click", async () => {
    if (state.socket) state.socket.close();
    await logout().catch(() => {});
    state.threadId = null;
    $("messages").replaceChildren();
    setMode("login");
    show("auth");
    banner("You are logged out.");
  });
  window.tokenwise = { state }; // lets the browser tests drop the socket
  if (hasSession()) enterApp().catch(() => sessionExpired());
  else { setMode("login"); show("auth"); }
}

init();
