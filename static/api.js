// HTTP client for the Lectern API: bearer tokens in localStorage, one refresh
// attempt on 401, and every failure turned into an ApiError carrying the server's detail.

const ACCESS_KEY = "lectern.access_token";
const REFRESH_KEY = "lectern.refresh_token";

const NETWORK_ERROR = "Cannot reach the Lectern server";

export class ApiError extends Error {
  constructor(status, detail, body = null) {
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

export const tokens = {
  get access() {
    return localStorage.getItem(ACCESS_KEY);
  },
  get refresh() {
    return localStorage.getItem(REFRESH_KEY);
  },
  save(pair) {
    localStorage.setItem(ACCESS_KEY, pair.access_token);
    localStorage.setItem(REFRESH_KEY, pair.refresh_token);
  },
  clear() {
    localStorage.removeItem(ACCESS_KEY);
    localStorage.removeItem(REFRESH_KEY);
  },
};

let onAuthLost = () => {};

/** Called once the session is gone for good (refresh failed): the app shows the login. */
export function setAuthLostHandler(handler) {
  onAuthLost = handler;
}

function buildUrl(path, query) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

async function send(method, url, body, withAuth) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (withAuth && tokens.access) headers.Authorization = `Bearer ${tokens.access}`;
  try {
    return await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, NETWORK_ERROR);
  }
}

/** The human message of a failed response: the server's `detail`, whatever its shape. */
async function errorOf(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (e.g. a proxy's HTML error page): fall back to the status line below.
  }
  let detail = body?.detail;
  if (Array.isArray(detail)) {
    detail = detail.map((e) => [e.loc?.slice(1).join("."), e.msg].filter(Boolean).join(": ")).join("; ");
  } else if (detail && typeof detail !== "string") {
    detail = JSON.stringify(detail);
  }
  if (!detail) {
    detail = res.status >= 500 ? `The server failed (${res.status})` : `Request failed (${res.status} ${res.statusText})`;
  }
  if (res.status === 429) {
    const wait = res.headers.get("Retry-After");
    if (wait && !/\d+\s*s/.test(detail)) detail += ` (try again in ${wait} s)`;
  }
  return new ApiError(res.status, detail, body);
}

const renewListeners = new Set();

/** Call `listener` whenever this tab renews the tokens (the WebSocket re-authenticates); returns an unsubscribe. */
export function onTokensRenewed(listener) {
  renewListeners.add(listener);
  return () => renewListeners.delete(listener);
}

// Concurrent 401s share one refresh: refresh tokens rotate, so a second parallel
// refresh with the same token would fail and log the user out.
let pendingRefresh = null;

/** Resolves to null when the tokens were renewed, else to the ApiError saying why not. */
function refreshOnce() {
  if (!pendingRefresh) {
    pendingRefresh = (async () => {
      const refreshToken = tokens.refresh;
      if (!refreshToken) return new ApiError(401, "Please log in");
      const res = await send("POST", buildUrl("/api/auth/refresh"), { refresh_token: refreshToken }, false);
      if (!res.ok) return errorOf(res);
      tokens.save(await res.json());
      for (const listener of renewListeners) {
        try {
          listener();
        } catch (error) {
          console.error(error); // a listener's bug must not look like a failed refresh
        }
      }
      return null;
    })()
      .catch((error) => error)
      .finally(() => {
        pendingRefresh = null;
      });
  }
  return pendingRefresh;
}

/** Whether another tab replaced the refresh token `before`; waits briefly for its write to land. */
async function renewedElsewhere(before) {
  for (let waited = 0; waited <= 1500; waited += 100) {
    if (tokens.refresh && tokens.refresh !== before) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/**
 * Renew the access token after a 401. Resolves once new tokens are stored; throws the
 * ApiError saying why not, with `authLost` set (and the app told) when the session is over.
 */
export async function renewSession() {
  const before = tokens.refresh;
  let refreshError = await refreshOnce();
  // Another tab may have renewed the shared tokens first (refresh tokens are single use):
  // then its new tokens are, or are about to be, in localStorage and the session is fine.
  if (refreshError?.status === 401 && (await renewedElsewhere(before))) refreshError = null;
  if (refreshError) {
    // Unreachable or failing server: keep the session, the next try may work.
    if (refreshError.status !== 401 && refreshError.status !== 403) throw refreshError;
    tokens.clear();
    const error = new ApiError(401, refreshError.message);
    error.authLost = true;
    onAuthLost(error);
    throw error;
  }
}

/**
 * Call the API. `auth: false` for the endpoints that must not trigger the refresh
 * dance (login, register, refresh, config). Resolves to the parsed JSON (null for 204).
 */
export async function api(path, { method = "GET", body, query, auth = true } = {}) {
  const url = buildUrl(path, query);
  let res = await send(method, url, body, auth);
  if (res.status === 401 && auth) {
    await renewSession();
    // A 401 with a freshly refreshed token is about the request itself (e.g. a wrong
    // current password), not the session: it is reported like any other error.
    res = await send(method, url, body, auth);
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, query) => api(path, { query });
export const post = (path, body) => api(path, { method: "POST", body: body ?? {} });
export const patch = (path, body) => api(path, { method: "PATCH", body });
export const put = (path, body) => api(path, { method: "PUT", body });
export const del = (path, body) => api(path, { method: "DELETE", body });

/** Ids read back from form values (strings) as the API's integer ids. */
export function toId(value) {
  return /^\d+$/.test(String(value)) ? Number(value) : value;
}

// ---- files: uploads with byte progress, and authenticated downloads ---------------

function abortError() {
  return new DOMException("The request was cancelled", "AbortError");
}

function sendFile(url, file, onProgress, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("Accept", "application/json");
    if (tokens.access) xhr.setRequestHeader("Authorization", `Bearer ${tokens.access}`);
    xhr.upload.addEventListener("progress", (event) => {
      onProgress?.(event.loaded, event.lengthComputable ? event.total : file.size);
    });
    xhr.addEventListener("load", () => resolve(xhr));
    xhr.addEventListener("error", () => reject(new ApiError(0, NETWORK_ERROR)));
    xhr.addEventListener("abort", () => reject(abortError()));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/** The XHR's answer as a fetch Response, so its errors read exactly like api()'s. */
function responseOf(xhr) {
  const headers = new Headers();
  for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
    const at = line.indexOf(":");
    if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, statusText: xhr.statusText, headers });
}

/**
 * POST one file as multipart/form-data (part "file") with XMLHttpRequest, whose upload
 * events give byte progress: `onProgress(loaded, total)`. Resolves to the parsed JSON.
 */
export async function uploadFile(path, file, { onProgress, signal } = {}) {
  const url = buildUrl(path);
  let xhr = await sendFile(url, file, onProgress, signal);
  if (xhr.status === 401) {
    await renewSession();
    xhr = await sendFile(url, file, onProgress, signal);
  }
  const res = responseOf(xhr);
  if (!res.ok) throw await errorOf(res);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** GET a binary resource that needs the bearer token (page images): resolves to a Blob. */
export async function fetchBlob(path, { signal } = {}) {
  const url = buildUrl(path);
  const attempt = async () => {
    const headers = tokens.access ? { Authorization: `Bearer ${tokens.access}` } : {};
    try {
      return await fetch(url, { headers, signal });
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new ApiError(0, NETWORK_ERROR);
    }
  };
  let res = await attempt();
  if (res.status === 401) {
    await renewSession();
    res = await attempt();
  }
  if (!res.ok) throw await errorOf(res);
  return res.blob();
}
