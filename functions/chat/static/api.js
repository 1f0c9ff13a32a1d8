// HTTP calls with the session's tokens. The access token lives only in memory;
// the refresh token in sessionStorage (this tab only, gone when it closes), so a
// reload keeps the user signed in without a long-lived token on disk.
const REFRESH_KEY = "tokenwise.refresh";
const USER_KEY = "tokenwise.user";

let accessToken = null;
let refreshing = null;
let onExpired = () => {};

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `Request failed with status ${status}`);
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
  accessToken = session.access_token;
  sessionStorage.setItem(REFRESH_KEY, session.refresh_token);
  sessionStorage.setItem(USER_KEY, JSON.stringify(session.user));
}

export function clearSession() {
  accessToken = null;
  sessionStorage.removeItem(REFRESH_KEY);
  sessionStorage.removeItem(USER_KEY);
}

async function parse(response) {
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export async function login(email, password) {
  keep(await parse(await fetch("/auth/login", { method: "POST",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) })));
}

export async function register(email, password, name) {
  keep(await parse(await fetch("/auth/register", { method: "POST",
    headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password, name: name || undefined }) })));
}

// One refresh at a time: refresh tokens rotate, so two parallel refreshes would
// look like token reuse and revoke the session.
async function refresh() {
  if (!refreshing) {
    refreshing = (async () => {
      const token = sessionStorage.getItem(REFRESH_KEY);
      if (!token) throw new ApiError(401, { error: { code: "not_signed_in", message: "Please log in." } });
      try {
        keep(await parse(await fetch("/auth/refresh", { method: "POST",
          headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: token }) })));
      } catch (err) {
        clearSession();
        onExpired("Your session has expired. Please log in again.");
        throw err;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

export async function api(path, { method = "GET", body, contentType = "application/json" } = {}) {
  if (!accessToken) await refresh();
  const send = () => fetch(path, { method, body: contentType === "application/json" && body !== undefined
    ? JSON.stringify(body) : body,
  headers: { Authorization: `Bearer ${accessToken}`, ...(body !== undefined ? { "Content-Type": contentType } : {}) } });
  let response = await send();
  if (response.status === 401) {
    await refresh();
    response = await send();
  }
  return parse(response);
}

export async function logout() {
  try {
    if (accessToken || hasSession()) await api("/auth/logout", { method: "POST", body: {} });
  } finally {
    clearSession();
  }
}
