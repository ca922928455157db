// The admin HTTP API: bearer session kept in sessionStorage, JSON in and out, errors as ApiError.

const SESSION_KEY = "referral-admin.session";
const BASE = "/admin";

let unauthorizedHandler = () => {};

export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

export function getSession() {
  try {
    const session = JSON.parse(sessionStorage.getItem(SESSION_KEY) || "null");
    if (!session || !session.token) return null;
    if (session.expires_at && session.expires_at * 1000 <= Date.now()) {
      sessionStorage.removeItem(SESSION_KEY);
      return null;
    }
    return session;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/** An answer other than 2xx: `{"error": {"code", "message", "details"}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || (status === 0 ? "network" : "http_error");
    this.details = error.details || {};
    /** The server's own (English) words, if it sent any. */
    this.serverMessage = error.message || null;
  }

  /** Validation problems as [{field, message, type?, ctx?}] (422 and the settings' own checks). */
  get fieldErrors() {
    return Array.isArray(this.details.errors) ? this.details.errors : [];
  }
}

export function url(path, query) {
  const target = new URL(BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    target.searchParams.set(key, String(value));
  }
  return target.pathname + target.search;
}

/** One request; anything but 2xx becomes an ApiError, and a 401 also ends the session. */
async function send(method, path, { query, body, auth = true, accept = "application/json" } = {}) {
  const headers = { Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const session = getSession();
  if (auth && session) headers.Authorization = `Bearer ${session.token}`;
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, null);
  }
  if (!response.ok) {
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    const error = new ApiError(response.status, data);
    if (response.status === 401 && auth) {
      clearSession();
      unauthorizedHandler(error);
    }
    throw error;
  }
  return response;
}

export async function request(method, path, options) {
  const response = await send(method, path, options);
  if (response.status === 204) return null;
  return response.json();
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  post: (path, body) => request("POST", path, { body: body === undefined ? {} : body }),
  put: (path, body) => request("PUT", path, { body }),
  del: (path) => request("DELETE", path),
  public: (method, path, body) => request(method, path, { body, auth: false }),
};

/**
 * A CSV export: fetched with the bearer token part after part (`X-Next-Cursor`), joined (the header line once)
 * and handed to the browser as a file. At most `maxParts` parts: `complete` is false when more were left.
 */
export async function downloadCsv(path, query, filename, { maxParts = 200 } = {}) {
  let cursor = null;
  const chunks = [];
  do {
    const response = await send("GET", path, { query: { ...query, cursor }, accept: "text/csv" });
    let text = await response.text();
    if (chunks.length > 0) {
      const endOfHeader = text.indexOf("\n");
      text = endOfHeader === -1 ? "" : text.slice(endOfHeader + 1);
    }
    chunks.push(text);
    cursor = response.headers.get("X-Next-Cursor");
  } while (cursor && chunks.length < maxParts);
  const blob = new Blob(["\ufeff", ...chunks], { type: "text/csv;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  return { parts: chunks.length, bytes: blob.size, complete: !cursor };
}
