// HTTP calls with the session's tokens.
//
// Where the tokens live, and why: the access token (short-lived, sent on every
// call) is kept only in this module's memory, so no storage holds it. The
// refresh token is kept in sessionStorage: it survives a reload of this tab
// (the user stays signed in), but no other tab sees it and it is gone when the
// tab closes, unlike localStorage, which would keep a 30-day credential on disk.
// An HttpOnly cookie would hide it from scripts too, but the auth API hands
// tokens out in JSON bodies and the page would then need CSRF defences; the
// strict Content-Security-Policy (no inline or foreign scripts) is what guards
// sessionStorage here. Refresh tokens rotate: each refresh returns a new one.
const REFRESH_KEY = "tokenwise.refresh";
const USER_KEY = "tokenwise.user";
const EXPIRED_MESSAGE = "Your session has expired. Please log in again.";
const ENDED_MESSAGE = "Your session was ended (logged out elsewhere or revoked). Please log in again.";
const ENDED_CODES = new Set(["session_revoked", "refresh_token_reused", "session_not_found", "user_not_found"]);

let accessToken = null;
let accessExpiresAt = 0; // ms since the epoch, with a margin, after which the page refreshes first
let refreshing = null;
let onExpired = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || (status ? `The server answered ${status}.` : "The server could not be reached."));
    this.status = status;
    this.code = error.code || "http_error";
    this.details = error.details || {};
  }
}

export function onSessionExpired(callback) { onExpired = callback; }

export function currentUser() {
  const raw = sessionStorage.getItem(USER_KEY);
  return raw ? JSON.parse(raw) : null;
}

export function hasSession() { return Boolean(sessionStorage.getItem(REFRESH_KEY)); }

function keep(session) {
  const ttlMs = Number(session.expires_in || 0) * 1000;
  accessToken = session.access_token;
  accessExpiresAt = Date.now() + ttlMs - Math.min(5000, ttlMs / 4);
  sessionStorage.setItem(REFRESH_KEY, session.refresh_token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(session.user));
}

export function clearSession() {
  accessToken = null;
  accessExpiresAt = 0;
  sessionStorage.removeItem(REFRESH_KEY);
  sessionStorage.removeItem(USER_KEY);
}

async function parse(response) {
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = null; }
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

async function request(path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, null);
  }
  return parse(response);
}

const postJson = (path, body) => request(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

export async function login(email, password) {
  keep(await postJson("/auth/login", { email, password }));
}

export async function register(email, password, name) {
  keep(await postJson("/auth/register", { email, password, name: name || undefined }));
}

// One refresh at a time: two parallel refreshes with the same token would look
// like a stolen token to the server, which then revokes the whole session.
export function refreshSession() {
  if (!refreshing) {
    refreshing = (async () => {
      const token = sessionStorage.getItem(REFRESH_KEY);
      if (!token) {
        onExpired(EXPIRED_MESSAGE);
        throw new ApiError(401, { error: { code: "not_signed_in", message: "Please log in." } });
      }
      try {
        keep(await postJson("/auth/refresh", { refresh_token: token }));
      } catch (err) {
        if (err.status === 401) { // refused for good; a 503 or a lost network keeps the session for later
          clearSession();
          onExpired(ENDED_CODES.has(err.code) ? ENDED_MESSAGE : EXPIRED_MESSAGE);
        }
        throw err;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function api(path, { method = "GET", body, contentType = "application/json" } = {}) {
  if (!accessToken || Date.now() > accessExpiresAt) await refreshSession();
  const payload = body !== undefined && contentType === "application/json" ? JSON.stringify(body) : body;
  const send = () => fetch(path, { method, body: payload, headers: {
    Authorization: `Bearer ${accessToken}`, ...(body !== undefined ? { "Content-Type": contentType } : {}) } });
  let response;
  try {
    response = await send();
    if (response.status === 401) { // the token was revoked or is older than the server thinks
      await refreshSession();
      response = await send();
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(0, null);
  }
  return parse(response);
}

export async function logout() {
  try {
    if (hasSession()) await api("/auth/logout", { method: "POST", body: {} });
  } finally {
    clearSession();
  }
}
