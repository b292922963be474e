// The REST API, called with the operator token the user signed in with.
//
// Where the token lives: sessionStorage only (this tab, until it closes or the user signs out). It
// never goes into a URL, a cookie or a log line. Each request carries it in an Authorization
// header, which a browser never attaches on its own: a page on another site cannot make an
// authenticated request (it has no token to put there, and the gateway sends no CORS headers),
// so the console needs no CSRF token.

const TOKEN_KEY = 'aegis.console.operatorToken';

// The gateway's root, relative to the console's page (/console/ -> /), so that a reverse proxy may
// mount the gateway under a path prefix.
const ROOT = new URL('../', document.baseURI);

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A refused request: the gateway's `{"error": {"code", "message"}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const listeners = new Set();

/** Calls `fn(error)` when the gateway refuses the token (401): the console then signs out. */
export function onUnauthorized(fn) {
  listeners.add(fn);
}

/** The URL of a gateway path such as `api/v1/agents`, with query parameters (arrays repeat). */
export function url(path, query = {}) {
  const u = new URL(path.replace(/^\//, ''), ROOT);
  for (const [key, value] of Object.entries(query)) {
    for (const v of [].concat(value)) {
      if (v !== undefined && v !== null && v !== '') u.searchParams.append(key, v);
    }
  }
  return u;
}

/**
 * Calls the REST API. Resolves to the parsed JSON body (null for 204); rejects with ApiError.
 * `token` overrides the session's (the sign-in form checks a token before keeping it).
 */
export async function api(path, { method = 'GET', query, body, token = session.token(), signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      referrerPolicy: 'no-referrer',
      signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'unreachable', 'The gateway did not answer. Is it running, and is this the right address?');
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = data && data.error
      ? new ApiError(response.status, data.error.code, data.error.message)
      : new ApiError(response.status, 'http_' + response.status, `The gateway answered ${response.status}.`);
    if (response.status === 401 && token === session.token()) listeners.forEach((fn) => fn(error));
    throw error;
  }
  return data;
}

/** Prometheus text from /metrics (public: no token needed). */
export async function metricsText() {
  const response = await fetch(url('metrics'), { cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
  if (!response.ok) throw new ApiError(response.status, 'http_' + response.status, `/metrics answered ${response.status}.`);
  return response.text();
}

/** /readyz: {ready, message}. */
export async function readiness() {
  try {
    const response = await fetch(url('readyz'), { cache: 'no-store', credentials: 'omit' });
    const data = await response.json().catch(() => ({}));
    return { ready: response.ok, message: response.ok ? 'ready' : (data.error && data.error.message) || 'not ready' };
  } catch {
    return { ready: false, message: 'the gateway did not answer' };
  }
}
