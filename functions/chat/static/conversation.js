// The message list: the user's questions and, for each run, the agents'
// progress as it streams (one line per event, in order) and then the answer.
import { renderAnswer } from "./answer.js";

const list = () => document.getElementById("messages");

function node(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function duration(ms) {
  const value = Number(ms || 0);
  if (value < 1) return "under 1 ms";
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

// What one event says, in words: which agent, what it thinks, which tool and how long it took.
export function describe(frame) {
  const p = frame.payload || {};
  switch (frame.type) {
    case "agent_started": return "started";
    case "agent_thinking": return `thinking: ${p.thought || "…"}`;
    case "tool_executing": return `running ${p.tool || "a tool"}…`;
    case "tool_completed": return `${p.tool || "tool"} finished in ${duration(p.duration_ms)}`;
    case "agent_completed": return p.summary || (p.status && p.status !== "completed" ? p.status : "done");
    case "agent_error": return `error: ${p.message || p.code || "unknown"}`;
    default: return frame.type;
  }
}

const ENDINGS = {
  cancelled: "Stopped. No answer for this question.",
  interrupted: "The server restarted before this answer was finished. Please ask again.",
  rejected: "The server could not take this question. Please ask again.",
  failed: "This answer failed.",
};

export function clearMessages() { list().replaceChildren(); }

export function addUserMessage(text) {
  const item = node("li", "message user");
  item.append(node("div", "who", "You"), node("div", "text", text));
  list().append(item);
  item.scrollIntoView({ block: "end" });
  return item;
}

export class RunView {
  constructor(initialStatus) {
    this.item = node("li", "message assistant");
    this.status = node("p", "run-status", initialStatus);
    this.status.setAttribute("role", "status");
    this.steps = node("details", "steps");
    this.steps.open = true;
    this.summary = node("summary", "", "Agent steps");
    this.progress = node("ol", "progress");
    this.progress.setAttribute("aria-label", "Agent progress");
    this.steps.append(this.summary, this.progress);
    this.steps.hidden = true;
    this.answer = node("div", "answer");
    this.item.append(node("div", "who", "Tokenwise"), this.status, this.steps, this.answer);
    list().append(this.item);
    this.started = performance.now();
  }

  setStatus(text) { this.status.textContent = text; this.status.hidden = !text; }

  bindRun(runId) { this.item.dataset.runId = runId; }

  event(frame) {
    const line = node("li");
    line.dataset.type = frame.type;
    line.dataset.agent = frame.agent;
    line.dataset.eventId = frame.event_id;
    line.append(node("span", "agent", frame.agent), document.createTextNode(` ${describe(frame)}`));
    this.progress.append(line);
    this.steps.hidden = false;
    this.summary.textContent = `Agent steps (${this.progress.children.length})`;
    if (frame.type !== "agent_completed" || frame.agent !== "supervisor") {
      this.setStatus(`${frame.agent}: ${describe(frame)}`);
    }
    this.item.scrollIntoView({ block: "end" });
  }

  // The closing supervisor event: the answer, or why there is none.
  finish(payload) {
    const status = payload.status || "completed";
    this.item.dataset.status = status;
    this.steps.open = false;
    this.summary.textContent = `Agent steps (${this.progress.children.length})`;
    if (status === "completed") {
      this.setStatus("");
      renderAnswer(this.answer, payload.answer, payload.result);
    } else {
      this.setStatus(ENDINGS[status] || "");
      if (payload.answer) renderAnswer(this.answer, payload.answer, null);
    }
    this.item.scrollIntoView({ block: "end" });
  }

  // An answer from the thread's history.
  showStored(message) {
    this.item.dataset.status = "completed";
    this.setStatus("");
    renderAnswer(this.answer, message.content, message.structured);
  }

  fail(text) {
    this.item.dataset.status = "failed";
    this.setStatus(text);
  }
}
