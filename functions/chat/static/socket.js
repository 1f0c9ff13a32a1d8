// The chat socket. It opens with a one-time ticket (never the access token in
// a URL), reconnects with backoff after a drop, and on every new connection
// first asks to resume each unfinished run from the last event it showed, so a
// dropped connection loses nothing. Frames sent while disconnected wait in a
// queue. A close with 4401 (token expired) renews the session, then reconnects.
//
// The server answers every client frame, in order, with exactly one
// acknowledgement (message_received, stop_requested, resumed, pong,
// thread_history) or an error, so each of those is paired with the request it
// answers; requests a dropped socket never answered are handed to onLost.
import { api, refreshSession } from "./api.js";

const KEEPALIVE_MS = 25000; // below the idle timeouts of proxies in front of the server
const MAX_DELAY_MS = 8000;
const ANSWERS = new Set(["message_received", "stop_requested", "resumed", "pong", "thread_history", "error"]);

export class ChatSocket {
  constructor({ onFrame, onStatus, onLost, resumables }) {
    this.onFrame = onFrame; // (frame, request | undefined)
    this.onStatus = onStatus;
    this.onLost = onLost; // ([request]) after a reconnect
    this.resumables = resumables; // () => [{run_id, last_event_id?}]
    this.ws = null;
    this.established = false; // connection_established received on the current socket
    this.queue = [];
    this.inflight = [];
    this.lost = [];
    this.attempt = 0;
    this.closedByUser = false;
    this.keepalive = null;
  }

  get connected() { return Boolean(this.ws && this.ws.readyState === WebSocket.OPEN && this.established); }

  async connect() {
    this.onStatus(this.attempt ? "Reconnecting…" : "Connecting…");
    let ticket;
    try {
      ({ ticket } = await api("/api/ws/ticket", { method: "POST", body: {} }));
    } catch (err) {
      if (err.status === 401) return; // the session is over; the page has gone back to log in
      this.retry();
      return;
    }
    if (this.closedByUser) return;
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${location.host}/ws?ticket=${encodeURIComponent(ticket)}`, ["tokenwise.v1"]);
    this.ws = ws;
    this.established = false;
    ws.onmessage = (message) => this.receive(ws, message);
    ws.onclose = (event) => this.closed(ws, event);
  }

  write(request) {
    this.ws.send(JSON.stringify(request.frame));
    this.inflight.push(request);
  }

  onEstablished(ws) {
    this.established = true;
    this.attempt = 0;
    this.onStatus("Connected");
    const lost = this.lost.splice(0);
    if (lost.length) this.onLost(lost);
    for (const resume of this.resumables()) this.write({ frame: { type: "resume", ...resume } });
    for (const queued of this.queue.splice(0)) this.write(queued);
    clearInterval(this.keepalive);
    this.keepalive = setInterval(() => { if (this.ws === ws) this.send({ type: "ping" }); }, KEEPALIVE_MS);
  }

  receive(ws, message) {
    if (this.ws !== ws) return;
    let frame;
    try { frame = JSON.parse(message.data); } catch { return; }
    if (frame.type === "connection_established") this.onEstablished(ws);
    const request = ANSWERS.has(frame.type) ? this.inflight.shift() : undefined;
    this.onFrame(frame, request);
  }

  closed(ws, event) {
    if (this.ws !== ws) return;
    this.ws = null;
    this.established = false;
    this.lost.push(...this.inflight.splice(0));
    clearInterval(this.keepalive);
    if (this.closedByUser) { this.onStatus("Disconnected"); return; }
    if (event.code === 4401) { // the access token behind this socket expired: renew it, then come back
      this.onStatus("Renewing your session…");
      refreshSession().then(() => { if (!this.closedByUser) this.connect(); },
        (err) => { if (err.status !== 401 && !this.closedByUser) this.retry(); });
      return;
    }
    this.retry();
  }

  retry() {
    this.attempt += 1;
    const delay = Math.min(MAX_DELAY_MS, 250 * 2 ** this.attempt);
    this.onStatus(`Connection lost; reconnecting in ${(delay / 1000).toFixed(1)} s…`);
    setTimeout(() => { if (!this.closedByUser && !this.ws) this.connect(); }, delay);
  }

  // Sends now, or after the next connection; `context` comes back with the answer to this frame.
  send(frame, context) {
    const request = { frame, context };
    if (this.connected) this.write(request);
    // Unsent pings are moot, and every unfinished run is resumed on connecting anyway.
    else if (frame.type !== "ping" && frame.type !== "resume") this.queue.push(request);
  }

  // Drops the connection as a network failure would (the page then reconnects and resumes).
  drop() { if (this.ws) this.ws.close(4000, "dropped by the client"); }

  close() {
    this.closedByUser = true;
    this.queue = [];
    this.lost = [];
    clearInterval(this.keepalive);
    if (this.ws) this.ws.close(1000, "bye");
  }
}
