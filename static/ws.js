// The signed-in user's live events: one shared WebSocket to /ws, opened by the first view
// that subscribes, reconnecting with backoff and re-reading job state after each (re)connect.
//
// Subscribers get every server event ({type: "job.progress" | "job.done" | "job.failed" |
// "job.cancelled", job}, {type: "jobs.snapshot", jobs} — also sent after every (re)connect —,
// {type: "feedback.delta" | "feedback.done" | "feedback.error", stream_id, …}, and the chat's
// {type: "chat.message" | "chat.done" | "chat.error", conversation_id, message} and
// {type: "chat.delta", conversation_id, message_id, text}, {type: "chat.conversation", conversation_id,
// change: "created" | "renamed" | "deleted"}) plus {type: "ws.closed", reason}
// when the server refused the account for good.

import { onTokensRenewed, renewSession, tokens } from "./api.js";

const FIRST_RETRY_MS = 1000;
const LAST_RETRY_MS = 30_000;
// The server pings every 20 s: this much silence means the connection died unnoticed.
const SILENCE_MS = 50_000;
const CLOSE_UNAUTHENTICATED = 4401;
const CLOSE_FORBIDDEN = 4403;
const ACCESS_KEY = "lectern.access_token";

const listeners = new Set();
// Latest state of every job seen, so a view that learns a job id late (an upload's answer
// can arrive after the job's first events) still starts from what already happened.
const jobs = new Map();
const link = {
  socket: null,
  connecting: false, // waiting for a token before opening
  live: false,
  retryMs: FIRST_RETRY_MS,
  retryTimer: null,
  silenceTimer: null,
  stopped: true,
};

/** Receive live events until the returned function is called; opens the connection if needed. */
export function subscribe(listener) {
  listeners.add(listener);
  link.stopped = false;
  if (link.live) send({ type: "jobs.sync" }); // the new view starts from the jobs' current state
  else if (!link.socket && !link.retryTimer && !link.connecting) connect();
  return () => listeners.delete(listener);
}

/** The newest state of a job seen over the socket, or null. */
export function latestJob(jobId) {
  return jobs.get(jobId) ?? null;
}

/** Log out: close for good and forget what was seen. */
export function closeSocket() {
  link.stopped = true;
  clearTimeout(link.retryTimer);
  clearTimeout(link.silenceTimer);
  link.retryTimer = null;
  link.retryMs = FIRST_RETRY_MS;
  const socket = link.socket;
  link.socket = null;
  link.live = false;
  socket?.close(1000, "Logged out");
  jobs.clear();
}

function emit(event) {
  for (const listener of [...listeners]) {
    try {
      listener(event);
    } catch (error) {
      console.error(error); // one broken view must not stop the others' updates
    }
  }
}

/** Keeps the newest version of a job (by updated_at) and says whether `job` is it. */
function remember(job) {
  const known = jobs.get(job.id);
  if (known && known.updated_at > job.updated_at) return false;
  jobs.set(job.id, job);
  return true;
}

function send(message) {
  if (link.socket?.readyState === WebSocket.OPEN) link.socket.send(JSON.stringify(message));
}

async function connect() {
  link.retryTimer = null;
  if (link.stopped) return;
  if (!tokens.access) {
    link.connecting = true;
    try {
      await renewSession();
    } catch (error) {
      if (!error.authLost) scheduleRetry();
      return;
    } finally {
      link.connecting = false;
    }
    if (link.stopped || link.socket) return;
  }
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const socket = new WebSocket(`${scheme}://${location.host}/ws`);
  link.socket = socket;
  socket.addEventListener("open", () => send({ type: "auth", token: tokens.access }));
  socket.addEventListener("message", (event) => {
    if (link.socket === socket) receive(event.data);
  });
  socket.addEventListener("close", (event) => {
    if (link.socket === socket) closed(event);
  });
  watchSilence();
}

function receive(data) {
  let event;
  try {
    event = JSON.parse(data);
  } catch {
    return; // not ours to interpret; the server only sends JSON
  }
  watchSilence();
  if (event.type === "hello") {
    link.live = true;
    link.retryMs = FIRST_RETRY_MS;
    // Events sent while this tab was not connected are gone: re-read the jobs' state.
    send({ type: "jobs.sync" });
    return;
  }
  if (event.type === "jobs.snapshot") {
    for (const job of event.jobs ?? []) remember(job);
    emit(event);
  } else if (event.type?.startsWith("job.") && event.job) {
    if (remember(event.job)) emit(event);
  } else if (event.type?.startsWith("feedback.")) {
    emit(event); // written feedback on a typed answer, streamed by a language model
  } else if (event.type?.startsWith("chat.")) {
    emit(event); // a chat answer being written, to every tab of its owner
  } else if (event.type === "notice") {
    emit(event); // {type: "notice", notice}: e.g. a shared deck you study was deleted
  } else if (event.type === "error") {
    console.warn("Lectern live events:", event.message);
  }
}

async function closed(event) {
  link.socket = null;
  link.live = false;
  clearTimeout(link.silenceTimer);
  if (link.stopped) return;
  if (event.code === CLOSE_FORBIDDEN) {
    link.stopped = true;
    emit({ type: "ws.closed", reason: event.reason || "This account is disabled" });
    return;
  }
  if (event.code === CLOSE_UNAUTHENTICATED) {
    try {
      await renewSession();
    } catch (error) {
      if (error.authLost) return; // the app shows the login screen and closes us
    }
  }
  scheduleRetry();
}

function scheduleRetry() {
  if (link.stopped || link.retryTimer) return;
  link.retryTimer = setTimeout(connect, link.retryMs);
  link.retryMs = Math.min(link.retryMs * 2, LAST_RETRY_MS);
}

function watchSilence() {
  clearTimeout(link.silenceTimer);
  const socket = link.socket;
  link.silenceTimer = setTimeout(() => {
    if (link.socket === socket) socket.close(4000, "No ping from the server");
  }, SILENCE_MS);
}

function reauthenticate() {
  if (link.live && tokens.access) send({ type: "auth", token: tokens.access });
}

// The connection keeps the token it opened with until told otherwise: renewals in this tab
// and in other tabs (they share localStorage) are passed on.
onTokensRenewed(reauthenticate);
window.addEventListener("storage", (event) => {
  if (event.key === ACCESS_KEY && event.newValue) reauthenticate();
});
// Back online: try now instead of waiting out the backoff.
window.addEventListener("online", () => {
  if (link.retryTimer && !link.stopped) {
    clearTimeout(link.retryTimer);
    link.retryMs = FIRST_RETRY_MS;
    connect();
  }
});
