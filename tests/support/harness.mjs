// Shared helpers for the client integration tests (tests/js/client-*.test.mjs): a server per test,
// settle-or-fail, clients on the server, action capture, storage spies, token-leak checks.
// (tests/support/client.mjs holds the older helpers used by client-refresh/failures/session.)
import assert from 'node:assert/strict';
import { createAuthClient, memoryStorage, isAuthlaneError } from 'authlane';
import { startAuthServer, startEchoServer } from './server.mjs';
import { tokenScan } from './token-scan.mjs';

export const KEYS = ['authlane.accessToken', 'authlane.refreshToken'];
export const delay = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fresh auth server for one test, closed when the test ends. */
export async function serverFor(t, options) {
  const server = await startAuthServer(options);
  t.after(() => server.close());
  return server;
}

/** A fresh "other origin" echo server for one test. */
export async function echoFor(t) {
  const other = await startEchoServer();
  t.after(() => other.close());
  return other;
}

/**
 * Resolves with { value } or { error } once `promise` settles; rejects (failing the test) when it
 * has not settled within `ms`: nothing may be left pending.
 */
export async function settlesWithin(promise, ms = 5000, what = 'promise') {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    const settled = promise.then((value) => ({ value }), (error) => {
      tokenScan.saw(`rejection of ${what}`, error);
      return { error };
    });
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settles all, each within `ms`. */
export const settleAll = (promises, ms = 5000) => Promise.all(promises.map((p, i) => settlesWithin(p, ms, `request #${i}`)));

/** What the caller saw: an HTTP status, an AuthlaneError code, or the error's name. */
export function outcome(r) {
  if ('value' in r) return r.value && typeof r.value.status === 'number' ? r.value.status : r.value;
  if (isAuthlaneError(r.error)) return r.error.code;
  return r.error && r.error.name ? `${r.error.name}` : String(r.error);
}

/** Asserts every settled result has the same expected outcome. */
export function assertAll(results, expected, message = '') {
  const seen = results.map(outcome);
  assert.deepEqual([...new Set(seen)], [expected], `${message} outcomes: ${JSON.stringify(seen.slice(0, 10))}`);
}

/** A pair whose access token expired a minute ago (a valid refresh token). */
export const expiredPair = (server) => server.issueTokens({ ttl: -60 });

/** A client on `server`, not logged in, recording every action it dispatches. */
export async function clientFor(t, server, options = {}) {
  const actions = [];
  const storage = options.storage ?? memoryStorage();
  const client = await createAuthClient({
    baseUrl: server.url,
    refresh: { url: '/refresh' },
    refreshRetry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    refreshTimeoutMs: 2000,
    timeoutMs: 4000,
    dispatch: (a) => actions.push(a), // the token scan sees every action (token-scan-hooks.mjs)
    ...options,
    storage,
  });
  t.after(() => client.dispose());
  return { client, actions, storage };
}

/** A logged-in client; `ttl` < 0 gives an expired access token. */
export async function loggedInClient(t, server, { ttl = 300, ...options } = {}) {
  const c = await clientFor(t, server, options);
  const tokens = await server.issueTokens({ ttl });
  await c.client.login(tokens);
  return { ...c, tokens };
}

/** Action types without the `authlane/` prefix. */
export const typesOf = (actions) => actions.map((a) => a.type.replace(/^authlane\//, ''));

/** The action types after the last `loggedIn` (what a refresh/request caused). */
export function typesSinceLogin(actions) {
  const all = typesOf(actions);
  return all.slice(all.lastIndexOf('loggedIn') + 1);
}

export const countOf = (actions, type) => typesOf(actions).filter((x) => x === type).length;

/** No token string (nor the refresh token) appears anywhere in `values` (actions, errors, ...). */
export function assertNoTokens(values, server) {
  const text = JSON.stringify(values, (k, v) =>
    v instanceof Error ? { name: v.name, message: v.message, code: v.code, stack: v.stack } : v);
  for (const { accessToken, refreshToken } of server.issued) {
    assert.ok(!text.includes(accessToken), 'an access token string leaked');
    assert.ok(!text.includes(refreshToken), 'a refresh token string leaked');
  }
}

/** The Authorization headers the server got for paths starting with `prefix`, in order. */
export const authsFor = (server, prefix) => server.log.filter((r) => r.path.startsWith(prefix)).map((r) => r.auth);

/** The newest token pair the server minted. */
export const newest = (server) => server.issued.at(-1);

/**
 * A TokenStorage over a Map that records every call; `async: true` returns Promises;
 * `failOn` ('get' | 'set' | 'remove') makes that method throw `error` while `failing` is true.
 */
export function spyStorage({ async = false, initial = {}, error = new Error('storage broke') } = {}) {
  const items = new Map(Object.entries(initial));
  const calls = [];
  const s = {
    items, calls, failOn: null, failing: false, error,
    getItem(key) { return wrap('get', key, () => (items.has(key) ? items.get(key) : null)); },
    setItem(key, value) { return wrap('set', key, () => void items.set(key, value)); },
    removeItem(key) { return wrap('remove', key, () => void items.delete(key)); },
  };
  function wrap(op, key, fn) {
    calls.push([op, key]);
    if (s.failing && s.failOn === op) {
      if (async) return Promise.reject(s.error);
      throw s.error;
    }
    const v = fn();
    return async ? new Promise((r) => setTimeout(() => r(v), 1)) : v;
  }
  return s;
}
