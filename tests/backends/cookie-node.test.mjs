// API.md "Refresh token in an HttpOnly cookie", in Node: `refresh: { url, cookie: true }` with a
// fetch that keeps cookies (Node's own keeps none; the jar sends them, like a browser, only with
// credentials: "include"). `login({ accessToken })` alone starts a session; an expired or rejected
// token costs one refresh that carries the cookie and no refresh token; `client.refresh()` at
// start-up with no access token resolves when the cookie grants a session and rejects
// SESSION_EXPIRED when not; nothing is read from or written to the refresh token's storage key;
// logout() with revoke sends an empty POST with credentials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient } from 'authlane';
import { startCookieServer, cookieJarFetch } from './support/cookie-server.mjs';
import {
  ACCESS, REFRESH, settlesWithin, settleAll, assertAll, delay, countOf, typesOf, lastPayload,
  spyStorage, sameToken,
} from './support/clients.mjs';

async function setup(t, { ttl, ...options } = {}) {
  const server = await startCookieServer();
  t.after(() => server.close());
  const jar = cookieJarFetch();
  const storage = spyStorage();
  const actions = [];
  const client = await createAuthClient({
    baseUrl: server.url,
    refresh: { url: '/refresh', cookie: true },
    fetch: jar.fetch,
    storage,
    refreshRetry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
    refreshTimeoutMs: 3000,
    ...options,
  });
  client.subscribe((a) => actions.push(a));
  t.after(() => client.dispose());
  /** The app's own login call (credentials: "include"): the server sets the HttpOnly cookie. */
  const serverLogin = async () => {
    const res = await jar.fetch(`${server.url}/login${ttl ? `?ttl=${ttl}` : ''}`, {
      method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'zoe', password: 'password' }),
    });
    assert.equal(res.status, 200);
    assert.ok(jar.jar.has('rt'), 'the server set the refresh cookie');
    return (await res.json()).accessToken;
  };
  return { server, jar, storage, actions, client, serverLogin };
}

/** No call of the storage ever named the refresh token's key. */
function assertRefreshKeyUntouched(storage) {
  const touched = storage.calls.filter(([, key]) => key === REFRESH).map(([op]) => op);
  assert.deepEqual(touched, [], 'nothing is read from or written to the refresh token\'s storage key');
}

function assertRefreshCall(s, entry) {
  assert.equal(entry.withCookie, true, 'the refresh call carried the cookie');
  const call = s.jar.calls.filter((c) => c.url === `${s.server.url}/refresh`).at(-1);
  assert.equal(call?.credentials, 'include', 'the refresh call goes with credentials: "include"');
  let body = null;
  try { body = JSON.parse(entry.body); } catch {}
  assert.deepEqual(body, {}, 'no refresh token in the body: {} for JSON');
}

test('cookie mode: login({ accessToken }) alone starts a session; an expired token costs one refresh with the cookie; all requests succeed', async (t) => {
  const s = await setup(t, { ttl: 1 });
  const accessToken = await s.serverLogin();
  const login = await settlesWithin(s.client.login({ accessToken }), 5000, 'login');
  assert.ok(!('error' in login), `login({ accessToken }) rejected: ${login.error?.code}`);
  assert.equal(s.client.session().authenticated, true);
  await delay(1300); // the 1 s access token has expired

  const results = await settleAll(Array.from({ length: 6 }, (_, i) => s.client.fetch(`/api/data?i=${i}`)), 8000);
  assertAll(results, 200);
  assert.equal(s.server.refreshLog.length, 1, 'one refresh for six requests');
  assertRefreshCall(s, s.server.refreshLog[0]);
  assert.equal(s.server.refreshLog[0].status, 200);
  const fresh = s.server.issued.at(-1);
  sameToken(s.storage.items.get(ACCESS), fresh.accessToken, 'the new access token is stored');
  sameToken(s.jar.jar.get('rt'), fresh.refreshToken, 'the server rotated the cookie');
  assert.equal(s.server.apiLog.filter((r) => r.auth === `Bearer ${fresh.accessToken}`).length, 6);
  assert.equal(countOf(s.actions, 'sessionExpired'), 0, `no session ended (actions: ${typesOf(s.actions).join(', ')})`);
  assertRefreshKeyUntouched(s.storage);
});

test('cookie mode: an access token rejected by the API (401) is refreshed with the cookie and the request sent again', async (t) => {
  const s = await setup(t);
  await s.client.login({ accessToken: await s.serverLogin() });
  s.server.rejectAccessTokens();
  const results = await settleAll(Array.from({ length: 4 }, () => s.client.fetch('/api/data')), 8000);
  assertAll(results, 200);
  assert.equal(s.server.refreshLog.length, 1);
  assertRefreshCall(s, s.server.refreshLog[0]);
  assertRefreshKeyUntouched(s.storage);
});

test('cookie mode: client.refresh() at start-up with no access token resolves when the cookie grants a session', async (t) => {
  const s = await setup(t);
  await s.serverLogin(); // an earlier visit: only the cookie is left
  assert.equal(s.client.session().authenticated, false);
  const bare = await settlesWithin(s.client.fetch('/api/data'));
  assert.equal(bare.value?.status, 401, 'with no access token a request goes out bare and comes back as it is');
  assert.equal(s.server.apiLog.at(-1).auth, null);
  assert.equal(s.server.refreshLog.length, 0, 'and starts no refresh');

  const restored = await settlesWithin(s.client.refresh(), 5000, 'refresh()');
  assert.ok(!('error' in restored), `refresh() rejected: ${restored.error?.code}`);
  assert.equal(s.client.session().authenticated, true);
  assert.equal(s.server.refreshLog.length, 1);
  assertRefreshCall(s, s.server.refreshLog[0]);
  assert.ok(lastPayload(s.actions, 'refreshSucceeded'), 'refreshSucceeded dispatched');
  const after = await settlesWithin(s.client.fetch('/api/data'));
  assert.equal(after.value?.status, 200);
  assertRefreshKeyUntouched(s.storage);
});

test('cookie mode: client.refresh() with no valid cookie rejects SESSION_EXPIRED (refreshFailed, no sessionExpired: there was no session)', async (t) => {
  const s = await setup(t);
  const result = await settlesWithin(s.client.refresh(), 5000, 'refresh()');
  assert.equal(result.error?.code, 'SESSION_EXPIRED');
  assert.equal(s.server.refreshLog.length, 1, 'the server was asked once');
  assert.equal(s.server.refreshLog[0].withCookie, false);
  assert.equal(s.server.refreshLog[0].status, 401);
  assert.equal(countOf(s.actions, 'refreshFailed'), 1);
  assert.equal(countOf(s.actions, 'sessionExpired'), 0);
  assert.equal(s.client.session().authenticated, false);
  assertRefreshKeyUntouched(s.storage);
});

test('cookie mode: a session whose cookie was revoked server-side ends at the next refresh (refresh_rejected)', async (t) => {
  const s = await setup(t);
  await s.client.login({ accessToken: await s.serverLogin() });
  const cookie = s.jar.jar.get('rt');
  // Revoked elsewhere (another device's logout-everywhere); this client still holds the cookie.
  await fetch(`${s.server.url}/revoke`, { method: 'POST', headers: { cookie: `rt=${cookie}` } });
  s.server.rejectAccessTokens();
  const results = await settleAll([s.client.fetch('/api/data'), s.client.fetch('/api/data')]);
  assertAll(results, 'SESSION_EXPIRED');
  assert.equal(s.server.refreshLog.length, 1);
  assert.equal(s.server.refreshLog[0].status, 401);
  assert.equal(s.storage.items.get(ACCESS), undefined, 'the access token is removed');
  assert.deepEqual(lastPayload(s.actions, 'sessionExpired'), { code: 'SESSION_EXPIRED', reason: 'refresh_rejected' });
  assertRefreshKeyUntouched(s.storage);
});

test('cookie mode: logout() with revoke sends an empty POST with credentials and resolves { revoked: true }', async (t) => {
  const s = await setup(t, { revoke: { url: '/revoke' } });
  await s.client.login({ accessToken: await s.serverLogin() });
  const cookie = s.jar.jar.get('rt');
  const result = await settlesWithin(s.client.logout(), 5000, 'logout()');
  assert.deepEqual(result.value, { revoked: true });
  assert.equal(s.server.revokeLog.length, 1);
  assert.equal(s.server.revokeLog[0].withCookie, true, 'the revocation carried the cookie');
  const call = s.jar.calls.filter((c) => c.url === `${s.server.url}/revoke`).at(-1);
  assert.equal(call?.credentials, 'include');
  assert.equal(call?.method, 'POST');
  assert.equal(s.server.refreshTokenValid(cookie), false, 'the server revoked the session');
  assert.equal(s.client.session().authenticated, false);
  assertRefreshKeyUntouched(s.storage);
});
