// The conversation side of the page: threads, questions, runs and the frames
// that drive them. Each run the page shows is tracked by id with the sequence
// number of the last event shown, so replayed events (after a reconnect) are
// shown exactly once and a resume asks only for what is missing.
import { api } from "./api.js";
import { addUserMessage, clearMessages, RunView } from "./conversation.js";
import { ChatSocket } from "./socket.js";

const $ = (id) => document.getElementById(id);
const seqOf = (eventId) => Number(String(eventId).split("-").pop());
const isClosing = (frame) => frame.type === "agent_completed" && frame.agent === "supervisor";
const ENDED = new Set(["completed", "cancelled", "interrupted", "failed", "rejected"]);

function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Chat {
  constructor({ onNotice, onError, onThread }) {
    this.onNotice = onNotice;
    this.onError = onError;
    this.onThread = onThread; // (threadId | null) whenever the open thread changes
    this.threadId = null;
    this.runs = new Map(); // run_id -> {view, threadId, lastSeq, lastEventId, done}
    this.socket = new ChatSocket({
      onFrame: (frame, request) => this.frame(frame, request),
      onStatus: (text) => { $("connection").textContent = text; },
      onLost: (requests) => this.lost(requests),
      resumables: () => [...this.runs.entries()].filter(([, run]) => !run.done)
        .map(([runId, run]) => (run.lastEventId ? { run_id: runId, last_event_id: run.lastEventId } : { run_id: runId })),
    });
  }

  start() { return this.socket.connect(); }

  // A failed call; a 401 means the session is over, which the page already shows.
  report(err) { if (err.status !== 401) this.onError(err.message); }

  close() { this.socket.close(); }

  // ---- threads ----------------------------------------------------------------------------------
  async loadThreads() {
    const { threads } = await api("/api/threads");
    $("thread-list").replaceChildren(...threads.map((thread) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = thread.title || "Untitled";
      button.title = `Last active ${new Date(thread.updated_at).toLocaleString()}`;
      button.dataset.threadId = thread.id;
      if (thread.id === this.threadId) button.setAttribute("aria-current", "true");
      button.addEventListener("click", () => this.openThread(thread.id).catch((err) => this.report(err)));
      item.append(button);
      return item;
    }));
    $("threads-empty").hidden = threads.length > 0;
  }

  setThread(threadId) {
    this.threadId = threadId;
    this.onThread(threadId);
  }

  newThread() {
    this.setThread(null);
    clearMessages();
    this.refreshControls();
    this.loadThreads().catch((err) => this.report(err));
  }

  async openThread(threadId) {
    const { messages } = await api(`/api/threads/${encodeURIComponent(threadId)}/messages`);
    this.setThread(threadId);
    clearMessages();
    const answered = new Set(messages.filter((m) => m.role === "assistant").map((m) => m.run_id));
    for (const message of messages) {
      if (message.role === "user") {
        addUserMessage(message.content);
        if (message.run_id && !answered.has(message.run_id)) this.showUnanswered(message.run_id, threadId);
      } else {
        const known = this.runs.get(message.run_id);
        if (known) $("messages").append(known.view.item);
        else new RunView("").showStored(message);
      }
    }
    this.refreshControls();
    await this.loadThreads();
  }

  // A question without a stored answer: still running, stopped, or answered while the page was away.
  showUnanswered(runId, threadId) {
    const known = this.runs.get(runId);
    if (known) { $("messages").append(known.view.item); return; }
    const view = new RunView("Fetching this answer's progress…");
    view.bindRun(runId);
    this.runs.set(runId, { view, threadId, lastSeq: 0, lastEventId: null, done: false });
    this.socket.send({ type: "resume", run_id: runId });
  }

  // ---- asking ------------------------------------------------------------------------------------
  ask(content) {
    addUserMessage(content);
    const view = new RunView(this.socket.connected ? "Sending…" : "Waiting for the connection…");
    const frame = { type: "user_message", content, client_message_id: randomId() };
    if (this.threadId) frame.thread_id = this.threadId;
    this.socket.send(frame, { view, threadId: this.threadId });
    $("empty").hidden = true;
  }

  // The running (oldest unfinished) run of the open thread.
  activeRun() {
    for (const [runId, run] of this.runs) {
      if (!run.done && run.threadId === this.threadId && run.threadId) return runId;
    }
    return null;
  }

  stop() {
    const runId = this.activeRun();
    if (runId) this.socket.send({ type: "stop_agent", run_id: runId }, { runId });
  }

  refreshControls() {
    $("stop").hidden = !this.activeRun();
    $("empty").hidden = $("messages").children.length > 0;
  }

  // ---- frames ------------------------------------------------------------------------------------
  frame(frame, request) {
    const context = (request && request.context) || {};
    if ("event_id" in frame) this.event(frame);
    else if (frame.type === "message_received") this.received(frame, context);
    else if (frame.type === "stop_requested") this.withRun(frame.run_id, (run) => run.view.setStatus("Stopping…"));
    else if (frame.type === "resumed") this.resumed(frame);
    else if (frame.type === "notice") this.onNotice(frame.message);
    else if (frame.type === "error") this.error(frame, request, context);
  }

  withRun(runId, action) {
    const run = this.runs.get(runId);
    if (run) action(run);
  }

  received(frame, { view, threadId }) {
    if (!view) return;
    const isNew = !threadId;
    this.runs.set(frame.run_id, { view, threadId: frame.thread_id, lastSeq: 0, lastEventId: null, done: false });
    view.bindRun(frame.run_id);
    view.setStatus(frame.queued ? `Queued behind ${frame.position} earlier question(s)…` : "Working…");
    if (isNew && view.item.isConnected && !this.threadId) this.setThread(frame.thread_id);
    this.refreshControls();
    if (isNew) this.loadThreads().catch((err) => this.report(err));
  }

  event(frame) {
    const run = this.runs.get(frame.run_id);
    const seq = seqOf(frame.event_id);
    if (!run || seq <= run.lastSeq) return; // not ours, or already shown before a reconnect
    run.lastSeq = seq;
    run.lastEventId = frame.event_id;
    run.view.event(frame);
    if (isClosing(frame)) {
      run.done = true;
      run.view.finish(frame.payload || {});
      this.refreshControls();
      this.loadThreads().catch(() => {}); // the thread moves to the top of the list
    }
  }

  resumed(frame) {
    this.withRun(frame.run_id, (run) => {
      if (frame.live || run.done) return;
      run.done = true; // not streaming here, and its closing event was not among those replayed
      if (ENDED.has(frame.status) && frame.status !== "completed") run.view.finish({ status: frame.status });
      else run.view.fail("This answer's steps could not all be loaded here; open the thread again in a moment.");
      this.refreshControls();
    });
  }

  error(frame, request, context) {
    const kind = request && request.frame.type;
    if (kind === "user_message" && context.view) {
      context.view.fail(`Not sent: ${frame.message}`);
    } else if (kind === "resume" && frame.code === "not_found") {
      this.withRun(request.frame.run_id, (run) => { run.done = true; run.view.fail("This answer is no longer available."); });
      this.refreshControls();
    } else if (!(kind === "stop_agent" && frame.code === "run_not_active")) {
      this.onError(frame.message || `Error: ${frame.code}`);
    }
  }

  // Questions sent on a socket that dropped before the server confirmed them.
  lost(requests) {
    for (const { frame, context } of requests) {
      if (frame.type === "user_message" && context && context.view) {
        context.view.fail("The connection dropped before the server confirmed this question. "
          + "If it is not in your threads, ask again.");
      }
    }
    this.loadThreads().catch(() => {});
  }
}
