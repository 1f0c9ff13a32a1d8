// The Tokenwise page: log in or sign up, import usage, ask, watch the agents,
// read the answer. The open thread is kept in the address (#thread=<id>), so
// a reload shows it again.
import { clearSession, currentUser, hasSession, login, logout, onSessionExpired, register } from "./api.js";
import { Chat } from "./chat.js";
import { clearMessages } from "./conversation.js";
import { resetImport, setUpImport } from "./importer.js";

const $ = (id) => document.getElementById(id);
const state = { mode: "login", chat: null, loggingOut: false };

function show(view) {
  $("auth-view").hidden = view !== "auth";
  $("app-view").hidden = view !== "app";
  $("account").hidden = view !== "app";
  $("skip").hidden = view !== "app";
}

function banner(text) {
  $("banner").textContent = text || "";
  $("banner").hidden = !text;
}

function notice(text) {
  $("notice-text").textContent = text || "";
  $("notice").hidden = !text;
}

const threadInAddress = () => (location.hash.match(/^#thread=([A-Za-z0-9_-]{1,64})$/) || [])[1] || null;

function rememberThread(threadId) {
  const hash = threadId ? `#thread=${threadId}` : "";
  if (location.hash !== hash) history.replaceState(null, "", `${location.pathname}${location.search}${hash}`);
}

// ---- signing in and out ---------------------------------------------------------------------------
function setMode(mode) {
  state.mode = mode;
  const signup = mode === "signup";
  $("auth-title").textContent = signup ? "Create an account" : "Log in";
  $("auth-submit").textContent = signup ? "Sign up" : "Log in";
  $("auth-toggle").textContent = signup ? "Have an account? Log in" : "New here? Create an account";
  $("auth-name-row").hidden = !signup;
  $("auth-password-hint").hidden = !signup;
  $("auth-password").autocomplete = signup ? "new-password" : "current-password";
  $("auth-error").textContent = "";
}

function describeError(err) {
  const fields = err.details && err.details.fields;
  if (!fields) return err.message;
  return Object.entries(fields).map(([name, reason]) => `${name[0].toUpperCase()}${name.slice(1)} ${reason}.`).join(" ");
}

async function submitAuth(event) {
  event.preventDefault();
  const email = $("auth-email").value.trim();
  const password = $("auth-password").value;
  $("auth-error").textContent = "";
  $("auth-submit").disabled = true;
  try {
    if (state.mode === "signup") await register(email, password, $("auth-name").value.trim());
    else await login(email, password);
    $("auth-password").value = "";
    await enterApp();
  } catch (err) {
    $("auth-error").textContent = describeError(err);
  } finally {
    $("auth-submit").disabled = false;
  }
}

function leaveApp() {
  if (state.chat) state.chat.close();
  state.chat = null;
  clearMessages();
  resetImport();
  notice("");
  rememberThread(null);
  setMode("login");
  show("auth");
}

function sessionExpired(message) {
  if (state.loggingOut) return;
  clearSession();
  leaveApp();
  banner(message);
  $("auth-email").focus();
}

async function logOut() {
  state.loggingOut = true;
  try {
    if (state.chat) state.chat.close();
    await logout().catch(() => {}); // the session ends here either way
  } finally {
    state.loggingOut = false;
  }
  leaveApp();
  banner("You are logged out.");
  $("auth-email").focus();
}

async function enterApp() {
  banner("");
  show("app");
  $("account-email").textContent = (currentUser() || {}).email || "";
  const chat = new Chat({ onNotice: notice, onError: banner, onThread: rememberThread });
  state.chat = chat;
  chat.start();
  const threadId = threadInAddress();
  try {
    if (threadId) await chat.openThread(threadId);
    else chat.newThread();
  } catch (err) {
    if (err.status === 404) chat.newThread();
    else if (err.status !== 401) banner(err.message);
  }
  chat.refreshControls();
  if (state.chat === chat) $("composer-input").focus();
}

// ---- the composer -------------------------------------------------------------------------------
function ask(event) {
  event.preventDefault();
  const content = $("composer-input").value.trim();
  if (!content || !state.chat) return;
  $("composer-input").value = "";
  state.chat.ask(content);
}

function wire() {
  onSessionExpired(sessionExpired);
  $("auth-form").addEventListener("submit", submitAuth);
  $("auth-toggle").addEventListener("click", () => setMode(state.mode === "login" ? "signup" : "login"));
  $("composer").addEventListener("submit", ask);
  $("composer-input").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  for (const button of document.querySelectorAll(".suggestion")) {
    button.addEventListener("click", () => {
      $("composer-input").value = button.textContent;
      $("composer").requestSubmit();
      $("composer-input").focus();
    });
  }
  $("stop").addEventListener("click", () => { if (state.chat) state.chat.stop(); $("composer-input").focus(); });
  $("new-thread").addEventListener("click", () => {
    if (state.chat) state.chat.newThread();
    $("composer-input").focus();
  });
  $("logout").addEventListener("click", logOut);
  $("skip").addEventListener("click", (event) => { // focus without replacing #thread= in the address
    event.preventDefault();
    $("composer-input").focus();
  });
  $("notice-dismiss").addEventListener("click", () => { notice(""); $("composer-input").focus(); });
  setUpImport();
}

wire();
// For the browser tests and for trying reconnection by hand: drops the socket like a network failure.
window.tokenwise = { state, dropSocket: () => state.chat && state.chat.socket.drop() };
if (hasSession()) enterApp();
else { setMode("login"); show("auth"); }
