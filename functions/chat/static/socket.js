// The chat socket: authenticates with a one-time ticket (no token in the URL),
// reconnects with backoff after a drop, and resumes a running answer from the
// last event it saw, so a dropped connection loses nothing.
import { api } from "./api.js";

export class ChatSocket {
  constructor({ onFrame, onStatus, onExpired }) {
    this.onFrame = onFrame;
    this.onStatus = onStatus;
    this.onExpired = onExpired;
    this.ws = null;
    this.queue = [];
    this.attempt = 0;
    this.closedByUser = false;
    this.resumeFrom = null; // {run_id, last_event_id} of a run still streaming
  }

  async connect() {
    this.closedByUser = false;
    this.onStatus(this.attempt ? "Reconnecting…" : "Connecting…");
    let ticket;
    try {
      ({ ticket } = await api("/api/ws/ticket", { method: "POST", body: {} }));
    } catch (err) {
      if (err.status === 401) return this.onExpired();
      return this.retry();
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws?ticket=${encodeURIComponent(ticket)}`);
    this.ws = ws;
    ws.onmessage = (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch { return; }
      if (frame.type === "connection_established") {
        this.attempt = 0;
        this.onStatus("Connected");
        if (this.resumeFrom) ws.send(JSON.stringify({ type: "resume", ...this.resumeFrom }));
        for (const queued of this.queue.splice(0)) ws.send(JSON.stringify(queued));
      }
      this.onFrame(frame);
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closedByUser) return this.onStatus("Disconnected");
      if (event.code === 4401) return this.onExpired();
      this.retry();
    };
  }

  retry() {
    this.attempt += 1;
    const delay = Math.min(8000, 250 * 2 ** this.attempt);
    this.onStatus(`Connection lost; retrying in ${Math.round(delay / 1000)} s`);
    setTimeout(() => { if (!this.closedByUser) this.connect(); }, delay);
  }

  send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
    else this.queue.push(frame);
  }

  // For tests and the user's "drop": close without marking it deliberate.
  drop() { if (this.ws) this.ws.close(4000, "dropped by client"); }

  close() {
    this.closedByUser = true;
    if (this.ws) this.ws.close(1000, "bye");
  }
}
