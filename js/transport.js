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
 * A request the core says to follow redirects of (`manual`: it carries the token in a custom
 * header, which fetch would let follow a redirect anywhere) and that has no `redirect` mode of its
 * own is sent with `redirect: 'manual'`, and its redirects are followed here as fetch follows them
 * (at most 20), the header removed for good at the first hop the core does not allow.
 */
const followsHere = (prepared, manual, headerValue) => manual && headerValue !== null
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
export function send(fetchFn, timers, prepared, facts, headerValue, attempt, allows, dpop) {
  const { headerName, timeoutMs } = facts;
  if (attempt > 0 && !prepared.replayable) {
    return Promise.reject(new AuthlaneError(CODE.BODY_NOT_REPLAYABLE,
      'the request must be sent again with a new token, but its body was a one-shot stream; send a string, Blob, ArrayBuffer or FormData body to allow the resend'));
  }
  const plain = prepared.request === null;
  const base = plain ? null : prepared.replayable ? prepared.request.clone() : prepared.request;
  const headers = new Headers(plain ? prepared.init.headers : base.headers);
  if (headerValue !== null) headers.set(headerName, headerValue);
  if (dpop) headers.set('dpop', dpop);
  const manual = followsHere(prepared, facts.manualRedirects, headerValue);
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

/** Headers from the app's own (`refresh.headers`, `revoke.headers`) and the core's: each
 * `[name, value, force]` is set, or only added when the app's have none of that name. */
function headersOf(own, extra) {
  const headers = new Headers(own || {});
  for (const [name, value, force] of extra) if (force || !headers.has(name)) headers.set(name, value);
  return headers;
}

/** What a refresh function or a thrown value reports: its value as JSON, or what it threw. */
const threw = (error) => ({ kind: 1, error });

/**
 * One refresh call as the core describes it (`call`: token, body, headers, timeout): the
 * refresh function called, or the endpoint asked; resolves with what came of it, for the core
 * to judge. `cancel` aborts it when a login, logout or dispose has discarded it.
 */
export function callRefresh(fetchFn, timers, refresh, facts, [, token, body, extra, timeoutMs, dpop], cancel) {
  return withTimeout(timeoutMs, cancel, timers, async (signal, timedOut) => {
    if (typeof refresh === 'function') {
      const stop = new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
      const value = await Promise.race([refresh({ refreshToken: token, signal }), stop]);
      return { kind: 0, value };
    }
    const headers = headersOf(refresh.headers, extra);
    if (dpop) headers.set('dpop', dpop);
    const init = { method: facts.method, headers, body: body === null ? JSON.stringify(refresh.body(token)) : body, signal };
    if (facts.cookie) init.credentials = 'include';
    let response;
    try {
      response = await fetchFn(facts.refreshUrl, init);
    } catch (error) {
      throw networkError(error);
    }
    let text;
    try {
      text = await response.text();
      if (response.ok && refresh.parse) text = JSON.stringify(refresh.parse(JSON.parse(text)));
    } catch (e) {
      if (timedOut()) throw e;
      text = undefined;
    }
    return {
      kind: 2,
      status: response.status,
      text,
      date: Date.parse(response.headers.get('date') || ''),
      retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
      nonce: response.headers.get('dpop-nonce') || '',
    };
  }).catch(threw);
}

/**
 * A revocation as the core describes it (`[, id, body, headers, timeout, dpop]`): POST to
 * `facts.revokeUrl`, with credentials in cookie mode. Resolves with what the endpoint answered
 * (`status` null when it could not be reached), for the core to judge; never rejects.
 */
export async function revoke(fetchFn, timers, options, facts, [, , body, extra, timeoutMs, dpop]) {
  const headers = headersOf(options.revoke && options.revoke.headers, extra);
  if (dpop) headers.set('dpop', dpop);
  const init = { method: 'POST', headers };
  if (facts.cookie) init.credentials = 'include';
  if (body !== null) init.body = body;
  try {
    return await withTimeout(timeoutMs, null, timers, async (signal) => {
      const response = await fetchFn(facts.revokeUrl, { ...init, signal });
      let text;
      try {
        text = await response.text();
      } catch {
        text = undefined;
      }
      return { status: response.status, text, nonce: response.headers.get('dpop-nonce') || '' };
    });
  } catch {
    return { status: null, text: undefined, nonce: '' };
  }
}
