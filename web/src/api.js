// The console's only way to the daemon: JSON over fetch to /api/v1, with CSRF and error handling.
//
// The CSRF token lives in memory only (never in storage or URLs); it comes from the login
// response or from GET /auth/session after a reload.

const BASE = '/api/v1';

let csrfToken = null;
let onUnauthorized = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** Called with no arguments whenever an authenticated request comes back 401. */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

/** An API failure: HTTP status plus the envelope {"error":{"code","message","hint"}}. */
export class ApiError extends Error {
  constructor(status, code, message, hint, retryAfter) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || '';
    this.hint = hint || '';
    this.retryAfter = retryAfter; // seconds, only for 429
  }
}

function buildUrl(path, query) {
  let url = BASE + path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') {
        params.set(key, String(value));
      }
    }
    const qs = params.toString();
    if (qs) {
      url += '?' + qs;
    }
  }
  return url;
}

function parseRetryAfter(value) {
  if (!value) {
    return undefined;
  }
  const seconds = Number.parseInt(value, 10);
  if (Number.isFinite(seconds) && seconds >= 0) {
    return seconds;
  }
  const date = Date.parse(value);
  if (!Number.isNaN(date)) {
    return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  }
  return undefined;
}

/**
 * Sends one request. Resolves with the parsed JSON body (null for 204), rejects with ApiError.
 * options: { query, body, skipAuthRedirect }
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) {
    headers['X-CSRF-Token'] = csrfToken;
  }

  let response;
  try {
    response = await fetch(buildUrl(path, options.query), init);
  } catch (err) {
    throw new ApiError(0, 'network', err && err.message ? err.message : 'network error', '');
  }

  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (response.status !== 204 && type.includes('application/json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }

  if (response.ok) {
    return data;
  }

  const envelope = data && data.error ? data.error : {};
  const error = new ApiError(
    response.status,
    envelope.code || '',
    envelope.message || response.statusText,
    envelope.hint || '',
    response.status === 429 ? parseRetryAfter(response.headers.get('Retry-After')) : undefined,
  );
  // a refusal that "override": true would turn into a save (a mapping's form)
  error.overridable = envelope.overridable === true;
  // a message the console can word in the reader's language
  if (envelope.message_code) {
    error.messageCode = envelope.message_code;
    error.params = envelope.params || {};
  }
  // the hint too: worded in the reader's language from its code, English without one
  if (envelope.hint_code) {
    error.hintCode = envelope.hint_code;
    error.hintParams = envelope.hint_params || {};
  }
  if (response.status === 401 && !options.skipAuthRedirect && onUnauthorized) {
    onUnauthorized();
  }
  throw error;
}

/**
 * A conditional GET for polling: sends If-None-Match when etag is given. Resolves with
 * {changed: false} on 304, else {changed: true, data, etag}; both with serverTime, the
 * answer's Date header in milliseconds (NaN when missing), for durations on the daemon's clock.
 * Rejects like request().
 */
export async function getTagged(path, etag) {
  const headers = { Accept: 'application/json' };
  if (etag) {
    headers['If-None-Match'] = etag;
  }
  let response;
  try {
    response = await fetch(buildUrl(path), { method: 'GET', headers, credentials: 'same-origin', cache: 'no-store' });
  } catch (err) {
    throw new ApiError(0, 'network', err && err.message ? err.message : 'network error', '');
  }
  const serverTime = Date.parse(response.headers.get('Date') || '');
  if (response.status === 304) {
    return { changed: false, etag, serverTime };
  }
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) {
    return { changed: true, data, etag: response.headers.get('ETag'), serverTime };
  }
  const envelope = data && data.error ? data.error : {};
  if (response.status === 401 && onUnauthorized) {
    onUnauthorized();
  }
  throw new ApiError(response.status, envelope.code || '', envelope.message || response.statusText, envelope.hint || '');
}

export const api = {
  get: (path, query, options = {}) => request('GET', path, { ...options, query }),
  post: (path, body, options = {}) => request('POST', path, { ...options, body }),
  patch: (path, body, options = {}) => request('PATCH', path, { ...options, body }),
  del: (path, options = {}) => request('DELETE', path, options),
};
