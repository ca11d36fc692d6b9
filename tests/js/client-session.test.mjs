// Lifecycle and storage: login/logout during a refresh, getAccessToken, refresh(), session(),
// listeners, split and async storage, corrupt values, failing storage, options, clock skew.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, memoryStorage, ACTION } from 'authlane';
import { startAuthServer } from '../support/server.mjs';
import { loggedIn, settle } from '../support/client.mjs';

let server;
before(async () => { server = await startAuthServer(); });
after(() => server.close());

const asyncStorage = () => {
  const m = memoryStorage();
  return { items: m, getItem: async (k) => m.getItem(k), setItem: async (k, v) => m.setItem(k, v), removeItem: async (k) => m.removeItem(k) };
};

test('logout during a refresh: held requests reject LOGGED_OUT and storage stays empty', async () => {
  server.reset();
  server.setRefreshDelay(80);
  try {
    const { client, storage } = await loggedIn(server, { ttl: -30 });
    const held = Array.from({ length: 3 }, () => settle(client.fetch('/api/x')));
    await new Promise((r) => setTimeout(r, 20));
    await client.logout();
    const results = await Promise.all(held);
    assert.ok(results.every((r) => r.error?.code === 'LOGGED_OUT'));
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(await storage.getItem('authlane.accessToken'), null, 'the late refresh wrote nothing');
    assert.equal(await storage.getItem('authlane.refreshToken'), null);
    assert.equal(client.session().authenticated, false);
    client.dispose();
  } finally {
    server.setRefreshDelay(0);
  }
});

test('login during a refresh: the late result does not overwrite the new session', async () => {
  server.reset();
  server.setRefreshDelay(80);
  try {
    const { client, storage } = await loggedIn(server, { ttl: -30 });
    const held = settle(client.fetch('/api/x'));
    await new Promise((r) => setTimeout(r, 20));
    const fresh = await server.issueTokens({ ttl: 300 });
    await client.login(fresh);
    assert.equal((await held).value?.status, 200);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(await storage.getItem('authlane.accessToken'), fresh.accessToken);
    assert.equal(await storage.getItem('authlane.refreshToken'), fresh.refreshToken);
    client.dispose();
  } finally {
    server.setRefreshDelay(0);
  }
});

test('logout, login and dispose cancel the refresh call in flight: its signal aborts', async () => {
  for (const end of ['logout', 'login', 'dispose']) {
    const signals = [];
    const client = await createAuthClient({
      baseUrl: server.url,
      // A refresh that answers only when its signal aborts, as a careful refresh function would.
      refresh: ({ signal }) => new Promise((resolve) => {
        signals.push(signal);
        signal.addEventListener('abort', () => resolve(null));
      }),
    });
    await client.login(await server.issueTokens({ ttl: -30 }));
    const held = settle(client.fetch('/api/x'));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(signals.length, 1);
    assert.equal(signals[0].aborted, false);
    if (end === 'login') await client.login(await server.issueTokens({ ttl: 300 }));
    else if (end === 'logout') await client.logout();
    else client.dispose();
    assert.equal(signals[0].aborted, true, `${end} aborted the refresh call`);
    const r = await held;
    if (end === 'login') assert.equal(r.value?.status, 200, 'the held request goes on with the new session');
    else assert.equal(r.error?.code, 'LOGGED_OUT');
    if (end !== 'dispose') {
      assert.equal(client.session().authenticated, end === 'login', 'the aborted refresh did not end the new state');
      client.dispose();
    }
  }
});

test('getAccessToken refreshes when needed and is null when logged out; refresh() joins one flight', async () => {
  server.reset();
  const { client, tokens } = await loggedIn(server, { ttl: -30 });
  const token = await client.getAccessToken();
  assert.notEqual(token, tokens.accessToken);
  assert.equal(server.refreshCalls, 1);
  const [a, b] = await Promise.all([client.refresh(), client.refresh()]);
  assert.equal(server.refreshCalls, 2, 'two refresh() calls at once share one refresh');
  assert.equal(a.authenticated, true);
  assert.deepEqual(a, b);
  await client.logout();
  assert.equal(await client.getAccessToken(), null);
  client.dispose();
});

test('session() gives claims and expiry, never tokens', async () => {
  server.reset();
  const { client, tokens } = await loggedIn(server);
  const s = client.session();
  assert.equal(s.authenticated, true);
  assert.equal(s.claims.sub, 'user-1');
  assert.equal(s.claims.name, 'Zoë');
  assert.equal(s.expiresAt, s.claims.exp * 1000);
  assert.ok(!JSON.stringify(s).includes(tokens.accessToken));
  client.dispose();
});

test('a throwing listener does not break the client; a listener may call client.fetch', async () => {
  server.reset();
  const { client } = await loggedIn(server, { ttl: -30 });
  const inner = [];
  client.subscribe(() => { throw new Error('listener bug'); });
  const unsubscribe = client.subscribe((a) => {
    if (a.type === ACTION.refreshSucceeded) inner.push(client.fetch('/api/from-listener').then((r) => r.status));
  });
  assert.equal((await client.fetch('/api/x')).status, 200);
  assert.deepEqual(await Promise.all(inner), [200]);
  assert.equal(server.refreshCalls, 1, 'no second refresh');
  unsubscribe();
  client.dispose();
});

test('split storage: each token goes only to its own storage; storageKey names the keys', async () => {
  server.reset();
  const access = asyncStorage();
  const refresh = asyncStorage();
  const { client, tokens } = await loggedIn(server, { storage: { access, refresh }, storageKey: 'myapp' });
  assert.equal(await access.getItem('myapp.accessToken'), tokens.accessToken);
  assert.equal(await access.getItem('myapp.refreshToken'), null);
  assert.equal(await refresh.getItem('myapp.refreshToken'), tokens.refreshToken);
  assert.equal(await refresh.getItem('myapp.accessToken'), null);
  client.dispose();
  // A new client reads them back.
  const again = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage: { access, refresh }, storageKey: 'myapp' });
  assert.equal(again.session().authenticated, true);
  assert.equal((await again.fetch('/api/x')).status, 200);
  again.dispose();
});

test('corrupt stored values are removed at start and count as logged out', async () => {
  for (const bad of ['', '  ', 'a b', 'tab\there', 42, { token: 'x' }]) {
    const items = new Map([['authlane.accessToken', bad], ['authlane.refreshToken', bad]]);
    const storage = { getItem: (k) => (items.has(k) ? items.get(k) : null), setItem: (k, v) => items.set(k, v), removeItem: (k) => items.delete(k) };
    const actions = [];
    const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage, dispatch: (a) => actions.push(a) });
    assert.equal(items.size, 0, JSON.stringify(bad));
    assert.deepEqual(actions[0], { type: ACTION.restored, payload: { authenticated: false, claims: null, expiresAt: null } });
    client.dispose();
  }
});

test('storage that fails at start rejects STORAGE_ERROR with the cause', async () => {
  const cause = new Error('keychain locked');
  const storage = { getItem: () => { throw cause; }, setItem() {}, removeItem() {} };
  const r = await settle(createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage }));
  assert.equal(r.error?.code, 'STORAGE_ERROR');
  assert.equal(r.error.cause, cause);
  const rejecting = { getItem: () => Promise.reject(cause), setItem() {}, removeItem() {} };
  assert.equal((await settle(createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage: rejecting }))).error?.code, 'STORAGE_ERROR');
});

test('storage that fails while refreshed tokens are written rejects held requests STORAGE_ERROR; the next request works', async () => {
  server.reset();
  let failing = false;
  const m = memoryStorage();
  const storage = { getItem: (k) => m.getItem(k), setItem: (k, v) => { if (failing) throw new Error('disk full'); return m.setItem(k, v); }, removeItem: (k) => m.removeItem(k) };
  const { client } = await loggedIn(server, { ttl: -30, storage });
  failing = true;
  const r = await settle(client.fetch('/api/x'));
  assert.equal(r.error?.code, 'STORAGE_ERROR');
  failing = false;
  assert.equal((await client.fetch('/api/y')).status, 200);
  assert.equal(server.refreshCalls, 1, 'the rotated token was kept in memory, not burnt');
  assert.ok(m.getItem('authlane.refreshToken'), 'written on the next request');
  client.dispose();
});

test('bad options reject INVALID_CONFIG naming the option', async () => {
  const cases = [
    [{ baseUrl: server.url }, /refresh/],
    [{ baseUrl: 'not a url', refresh: { url: '/r' } }, /baseUrl/],
    [{ baseUrl: server.url, refresh: { url: '/r' }, allowedOrigins: ['*'] }, /allowedOrigins/],
    [{ baseUrl: server.url, refresh: { url: '/r' }, allowedOrigins: ['https://*.example.com'] }, /allowedOrigins/],
    [{ baseUrl: server.url, refresh: { url: '/r' }, timeoutMs: -1 }, /timeoutMs/],
    [{ baseUrl: server.url, refresh: { url: '/r' }, refreshOn: ['401'] }, /refreshOn/],
    [{ baseUrl: server.url, refresh: { url: '/r' }, refreshRetry: { attempts: 0 } }, /refreshRetry.attempts/],
    [{ baseUrl: server.url, refresh: { url: '/r' }, storage: {} }, /storage/],
    [{ baseUrl: server.url, refresh: { url: '/r' }, header: { name: 'bad header' } }, /header.name/],
    [{ refresh: async () => null }, /baseUrl or allowedOrigins/],
    [null, /options/],
  ];
  for (const [options, message] of cases) {
    const r = await settle(createAuthClient(options));
    assert.equal(r.error?.code, 'INVALID_CONFIG', JSON.stringify(options));
    assert.match(r.error.message, message);
  }
});

for (const offset of [600, -600]) {
  test(`a device clock ${offset > 0 ? 'behind' : 'ahead of'} the server by 10 minutes: no refresh loop, no expired token sent`, async () => {
    server.reset();
    server.setClockOffset(offset);
    try {
      const { client } = await loggedIn(server, { ttl: 300 });
      for (let i = 0; i < 5; i++) {
        const results = await Promise.all(Array.from({ length: 10 }, () => client.fetch('/api/skew').then((r) => r.status)));
        assert.deepEqual([...new Set(results)], [200]);
      }
      assert.equal(server.refreshCalls, 0);
      client.dispose();
    } finally {
      server.setClockOffset(0);
    }
  });
}

test('a token living shorter than the leeway is not refreshed on every request', async () => {
  server.reset();
  server.setAccessTtl(20);
  try {
    const { client } = await loggedIn(server, { ttl: -30, leewaySeconds: 60 });
    for (let i = 0; i < 10; i++) assert.equal((await client.fetch('/api/short')).status, 200);
    assert.equal(server.refreshCalls, 1);
    client.dispose();
  } finally {
    server.setAccessTtl(300);
  }
});

test('the now option drives expiry decisions', async () => {
  server.reset();
  let fake = Date.now();
  const { client } = await loggedIn(server, { ttl: 120, now: () => fake });
  await client.fetch('/api/n');
  assert.equal(server.refreshCalls, 0);
  fake += 100_000; // within the 60 s leeway of expiry (capped at half the life)
  await client.fetch('/api/n');
  assert.equal(server.refreshCalls, 1);
  client.dispose();
});

test('startAutoRefresh refreshes before expiry on its own; dispose keeps tokens and rejects held requests', async () => {
  server.reset();
  const { client, storage } = await loggedIn(server, { ttl: 2, leewaySeconds: 60 });
  client.startAutoRefresh();
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(server.refreshCalls >= 1, 'the timer refreshed');
  client.stopAutoRefresh();
  server.setRefreshDelay(200);
  try {
    server.expireAllAccessTokens();
    const held = settle(client.fetch('/api/d'));
    await new Promise((r) => setTimeout(r, 50));
    const token = await storage.getItem('authlane.accessToken');
    client.dispose();
    assert.equal((await held).error?.code, 'LOGGED_OUT');
    assert.equal(await storage.getItem('authlane.accessToken'), token, 'dispose keeps tokens');
    assert.equal((await settle(client.fetch('/api/after'))).error?.code, 'LOGGED_OUT');
  } finally {
    server.setRefreshDelay(0);
  }
});
