// The I/O half of a request: preparing it for sending (and resending), one attempt with its
// timeout, the refresh call. Decisions (whether to attach, hold, refresh, resend) are in Rust.
import { AuthlaneError } from './errors.js';
import { CODE } from './facts.js';

const isStream = (body) => body != null && typeof body === 'object' && typeof body.getReader === 'function';

/** The error `fetch` rejects with when its signal aborts. */
export function abortReason(signal) {
  if (signal.reason !== undefined) return signal.reason;
  if (typeof DOMException === 'function') return new DOMException('This operation was aborted', 'AbortError');
  const e = new Error('This operation was aborted');
  e.name = 'AbortError';
  return e;
}

/**
 * Turns fetch's (input, init) into something that can be sent twice. A URL with a replayable body
 * (none, string, Blob, ArrayBuffer, FormData, URLSearchParams) is kept as (url, init): fetch
 * reads those bodies without using them up, so each attempt passes them again, and no Request
 * is built. A Request input keeps a pristine copy that each attempt clones. A ReadableStream body
 * can be sent only once.
 */
export function prepare(input, init, resolveUrl) {
  const { auth, ...rest } = init || {};
  const stream = isStream(rest.body);
  if (typeof input === 'string' || (typeof URL === 'function' && input instanceof URL)) {
    const url = resolveUrl(String(input));
    if (url === undefined) throw new TypeError(`authlane: cannot resolve the URL ${String(input)} (set baseUrl)`);
    if (stream && rest.duplex === undefined) rest.duplex = 'half';
    return { url, init: rest, request: null, replayable: !stream, signal: rest.signal || null, auth: auth !== false };
  }
  if (stream && rest.duplex === undefined) rest.duplex = 'half';
  const request = new Request(input, rest);
  return { url: request.url, init: null, request, replayable: !stream, signal: rest.signal || request.signal || null, auth: auth !== false };
}

/** Resolves with the abort reason when the request's signal aborts; null without a signal. */
export function aborted(prepared) {
  const { signal } = prepared;
  if (!signal) return null;
  if (signal.aborted) return Promise.resolve(abortReason(signal));
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(abortReason(signal)), { once: true }));
}

/**
 * Runs `start(signal)` with a timeout (0: none); the caller's signal still aborts it, and so does
 * the client's dispose().
 */
async function withTimeout(timeoutMs, callerSignal, timers, start) {
  const controller = new AbortController();
  let timedOut = false;
  let disposed = false;
  const untrack = timers.track(() => { disposed = true; controller.abort(); });
  const onAbort = () => controller.abort(abortReason(callerSignal));
  if (callerSignal) {
    if (callerSignal.aborted) throw abortReason(callerSignal);
    callerSignal.addEventListener('abort', onAbort, { once: true });
  }
  const timer = timeoutMs > 0 ? timers.set(() => { timedOut = true; controller.abort(); }, timeoutMs) : null;
  try {
    return await start(controller.signal, () => timedOut);
  } catch (error) {
    if (disposed) throw new AuthlaneError(CODE.LOGGED_OUT, 'the client was disposed while this request was in flight', { cause: error });
    if (timedOut) throw new AuthlaneError(CODE.TIMEOUT, `no answer within ${timeoutMs} ms; raise the timeout or try again`, { cause: error });
    if (callerSignal && callerSignal.aborted) throw abortReason(callerSignal);
    throw error;
  } finally {
    untrack();
    if (timer !== null) timers.clear(timer);
    if (callerSignal) callerSignal.removeEventListener('abort', onAbort);
  }
}

function networkError(error) {
  if (error instanceof AuthlaneError || (error && error.name === 'AbortError')) return error;
  return new AuthlaneError(CODE.NETWORK_ERROR, 'the request could not be sent (network error, CORS or a refused connection)', { cause: error });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * fetch drops only `Authorization` when a redirect leaves the origin: a custom header would follow
 * it anywhere. So a request carrying the token in a custom header, with no `redirect` mode of its
 * own, is sent with `redirect: 'manual'` and its redirects are followed here (at most 20), the
 * header removed for good at the first hop whose origin `allows` refuses.
 */
const followsHere = (prepared, headerName, headerValue) => headerValue !== null
  && headerName.toLowerCase() !== 'authorization'
  && (prepared.request === null ? prepared.init.redirect === undefined : prepared.request.redirect === 'follow');

async function follow(fetchFn, prepared, first, headers, headerName, allows, signal) {
  let response = first;
  let url = prepared.url;
  let method = (prepared.request ? prepared.request.method : prepared.init.method || 'GET').toUpperCase();
  let body = prepared.request ? undefined : prepared.init.body;
  let bodyFromRequest = prepared.request !== null && method !== 'GET' && method !== 'HEAD';
  for (let hops = 0; response.type === 'opaqueredirect' || REDIRECTS.has(response.status); hops++) {
    if (response.type === 'opaqueredirect') {
      throw new AuthlaneError(CODE.NETWORK_ERROR, `the response redirects, and this engine hides where to: following it could carry the ${headerName} header to another origin; use the Authorization header (fetch drops it on cross-origin redirects) or set init.redirect yourself`);
    }
    const location = response.headers.get('location');
    if (location === null) return response;
    if (hops === 20) throw new AuthlaneError(CODE.NETWORK_ERROR, 'more than 20 redirects');
    discard(response);
    url = new URL(location, url).href;
    if (response.status === 303 ? method !== 'GET' && method !== 'HEAD' : response.status <= 302 && method === 'POST') {
      method = 'GET';
      body = undefined;
      bodyFromRequest = false;
      for (const name of ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']) headers.delete(name);
    }
    if (bodyFromRequest) {
      if (!prepared.replayable) throw new AuthlaneError(CODE.BODY_NOT_REPLAYABLE, 'the response redirects with its body, but the body was a one-shot stream');
      body = await prepared.request.clone().arrayBuffer();
      bodyFromRequest = false;
    }
    if (!allows(url)) headers.delete(headerName);
    response = await fetchFn(url, { ...(prepared.init || {}), method, headers, body, signal, redirect: 'manual' });
  }
  return response;
}

/** One attempt: the auth header set (or left off), the per-attempt timeout, the caller's signal. */
export function send(fetchFn, timers, prepared, headerName, headerValue, attempt, timeoutMs, allows) {
  if (attempt > 0 && !prepared.replayable) {
    return Promise.reject(new AuthlaneError(CODE.BODY_NOT_REPLAYABLE,
      'the request must be sent again with a new token, but its body was a one-shot stream; send a string, Blob, ArrayBuffer or FormData body to allow the resend'));
  }
  const plain = prepared.request === null;
  const base = plain ? null : prepared.replayable ? prepared.request.clone() : prepared.request;
  const headers = new Headers(plain ? prepared.init.headers : base.headers);
  if (headerValue !== null) headers.set(headerName, headerValue);
  const manual = followsHere(prepared, headerName, headerValue);
  const call = (signal) => {
    const extra = manual ? { redirect: 'manual' } : {};
    if (plain) return fetchFn(prepared.url, { ...prepared.init, headers, signal, ...extra });
    const init = { headers, signal, ...extra };
    if (!prepared.replayable) init.duplex = 'half';
    return fetchFn(new Request(base, init));
  };
  return withTimeout(timeoutMs, prepared.signal, timers, async (signal) => {
    try {
      const response = await call(signal);
      return manual ? await follow(fetchFn, prepared, response, headers, headerName, allows, signal) : response;
    } catch (error) {
      throw networkError(error);
    }
  });
}

function retryAfterMs(value) {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** Lets go of a response nobody will read. */
export function discard(response) {
  try {
    const cancelled = response && response.body && response.body.cancel && response.body.cancel();
    if (cancelled && cancelled.catch) cancelled.catch(() => {});
  } catch {}
}

/** Base64 of a UTF-8 string, without btoa (React Native before 0.74 has none). */
function base64(text) {
  const bytes = new TextEncoder().encode(text);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += abc[n >> 18] + abc[(n >> 12) & 63] + (i + 1 < bytes.length ? abc[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? abc[n & 63] : '=');
  }
  return out;
}

/**
 * An OAuth 2.0 form request (RFC 6749 section 6, RFC 7009): `fields` plus the client's
 * authentication (section 2.3.1: `client_secret_basic` form-encodes id and secret into Basic).
 */
function oauthForm(refresh, fields, headers) {
  const form = new URLSearchParams();
  const auth = refresh.clientAuth || (refresh.clientSecret ? 'client_secret_basic' : 'none');
  for (const [k, v] of Object.entries(fields)) if (v != null) form.set(k, v);
  if (auth === 'client_secret_basic' && refresh.clientSecret != null) {
    const enc = (v) => encodeURIComponent(v).replace(/%20/g, '+');
    headers.set('authorization', 'Basic ' + base64(`${enc(refresh.clientId || '')}:${enc(refresh.clientSecret)}`));
  } else if (refresh.clientId != null) {
    form.set('client_id', refresh.clientId);
    if (auth === 'client_secret_post' && refresh.clientSecret != null) form.set('client_secret', refresh.clientSecret);
  }
  headers.set('content-type', 'application/x-www-form-urlencoded');
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  return form.toString();
}

/** The request body and headers of one refresh call (the token is null in cookie mode). */
function refreshRequest(refresh, refreshToken) {
  const headers = new Headers(refresh.headers || {});
  if (refresh.grant === 'oauth2') {
    const fields = { grant_type: 'refresh_token', refresh_token: refreshToken, scope: refresh.scope, ...(refresh.params || {}) };
    return { headers, body: oauthForm(refresh, fields, headers) };
  }
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  const payload = refresh.body ? refresh.body(refreshToken) : refreshToken == null ? {} : { refreshToken };
  return { headers, body: JSON.stringify(payload) };
}

/** An error response's OAuth 2.0 `error` (RFC 6749 section 5.2), if it has one. */
async function oauthError(response) {
  try {
    const body = JSON.parse(await response.text());
    return body && typeof body.error === 'string' ? body.error : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One call of the refresh endpoint or function; Rust classifies the result. `cancel` aborts it
 * when a login, logout or dispose has discarded its result.
 */
export function callRefresh(fetchFn, timers, refresh, refreshToken, url, timeoutMs, cancel) {
  return withTimeout(timeoutMs, cancel, timers, async (signal, timedOut) => {
    if (typeof refresh === 'function') {
      const stop = new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      const value = await Promise.race([refresh({ refreshToken, signal }), stop]);
      return { kind: 'fn', value };
    }
    const { headers, body: requestBody } = refreshRequest(refresh, refreshToken);
    const init = { method: refresh.method || 'POST', headers, body: requestBody, signal };
    if (refresh.cookie) init.credentials = 'include';
    let response;
    try {
      response = await fetchFn(url, init);
    } catch (error) {
      throw networkError(error);
    }
    let body;
    let error;
    if (response.ok) {
      try {
        body = JSON.parse(await response.text());
        if (refresh.parse) body = refresh.parse(body);
      } catch (e) {
        if (timedOut()) throw e;
        body = undefined;
      }
    } else if (response.status >= 400 && response.status < 500) {
      error = await oauthError(response);
    } else {
      discard(response);
    }
    return {
      kind: 'http',
      status: response.status,
      body,
      oauthError: error,
      date: Date.parse(response.headers.get('date') || ''),
      retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
    };
  });
}

/**
 * Revokes `token` at `url` (RFC 7009): a form for `grant: "oauth2"`, JSON `{ refreshToken }`
 * otherwise, an empty POST with credentials in cookie mode. Resolves with whether the endpoint
 * accepted it; never rejects.
 */
export async function revoke(fetchFn, timers, options, token, hint, url, timeoutMs) {
  const refresh = typeof options.refresh === 'object' && options.refresh ? options.refresh : {};
  const headers = new Headers((options.revoke && options.revoke.headers) || {});
  const init = { method: 'POST', headers };
  if (refresh.cookie) {
    init.credentials = 'include';
  } else if (refresh.grant === 'oauth2') {
    init.body = oauthForm(refresh, { token, token_type_hint: hint }, headers);
  } else {
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    init.body = JSON.stringify({ refreshToken: token });
  }
  try {
    const response = await withTimeout(timeoutMs, null, timers, (signal) => fetchFn(url, { ...init, signal }));
    discard(response);
    return response.ok;
  } catch {
    return false;
  }
}
