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
 * Call the API. `auth: false` for the endpoints that must not trigger the refresh
 * dance (login, register, refresh, config). Resolves to the parsed JSON (null for 204).
 */
export async function api(path, { method = "GET", body, query, auth = true } = {}) {
  const url = buildUrl(path, query);
  let res = await send(method, url, body, auth);
  if (res.status === 401 && auth) {
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
