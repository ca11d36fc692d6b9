// Every row of API.md's "Outcomes of a refresh" against real HTTP, plus timeouts, network errors,
// aborts, and the next request trying again after a transient failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, isAuthlaneError, memoryStorage } from 'authlane';
import { startAuthServer } from '../support/server.mjs';
import { assertNoToken, loggedIn, settle, types } from '../support/client.mjs';

let server;
before(async () => { server = await startAuthServer(); });
after(() => server.close());

const keys = ['authlane.accessToken', 'authlane.refreshToken'];
const stored = async (storage) => Promise.all(keys.map((k) => storage.getItem(k)));

for (const status of [400, 401, 403]) {
  test(`definitive ${status}: SESSION_EXPIRED for all, tokens removed, sessionExpired once`, async () => {
    server.reset();
    const { client, actions, storage, tokens } = await loggedIn(server, { ttl: -30 });
    server.failRefresh(status);
    const results = await Promise.all(Array.from({ length: 5 }, () => settle(client.fetch('/api/x'))));
    assert.ok(results.every((r) => isAuthlaneError(r.error) && r.error.code === 'SESSION_EXPIRED'));
    assert.equal(server.refreshCalls, 1, 'a definitive answer is not retried');
    assert.deepEqual(await stored(storage), [null, null]);
    assert.deepEqual(types(actions).slice(-3), ['refreshStarted', 'refreshFailed', 'sessionExpired']);
    assert.deepEqual(actions.at(-2).payload, { code: 'SESSION_EXPIRED', message: actions.at(-2).payload.message, transient: false, status, oauthError: null });
    assert.deepEqual(actions.at(-1).payload, { code: 'SESSION_EXPIRED', reason: 'refresh_rejected' });
    assert.equal(client.session().authenticated, false);
    // Afterwards there is no session: requests go out bare and come back as they are.
    assert.equal((await client.fetch('/api/after')).status, 401);
    assert.equal(types(actions).filter((t) => t === 'sessionExpired').length, 1);
    assertNoToken([actions, results.map((r) => r.error)], [tokens.accessToken, tokens.refreshToken]);
    server.failRefresh(null);
    client.dispose();
  });
}

for (const mode of [500, 502, 503, 429, 'timeout', 'reset']) {
  test(`transient ${mode}: retried, REFRESH_FAILED, tokens kept, the next request succeeds`, async () => {
    server.reset();
    const { client, actions, storage } = await loggedIn(server, { ttl: -30, refreshTimeoutMs: 200 });
    const before = await stored(storage);
    server.failRefresh(mode, 3);
    const results = await Promise.all(Array.from({ length: 3 }, () => settle(client.fetch('/api/x'))));
    assert.ok(results.every((r) => r.error?.code === 'REFRESH_FAILED'), JSON.stringify(results.map((r) => r.error?.code)));
    assert.equal(server.refreshCalls, 3, 'attempts: 3, the first included');
    assert.deepEqual(await stored(storage), before, 'tokens kept');
    assert.deepEqual(actions.at(-1).payload.transient, true);
    assert.equal(types(actions).includes('sessionExpired'), false);
    const next = await settle(client.fetch('/api/again'));
    assert.equal(next.value?.status, 200);
    assert.equal(server.refreshCalls, 4);
    client.dispose();
  });
}

for (const mode of ['garbage', 'empty']) {
  test(`unusable 2xx (${mode}): BAD_REFRESH_RESPONSE, tokens kept`, async () => {
    server.reset();
    const { client, storage } = await loggedIn(server, { ttl: -30 });
    const before = await stored(storage);
    server.failRefresh(mode, 1);
    const r = await settle(client.fetch('/api/x'));
    assert.equal(r.error?.code, 'BAD_REFRESH_RESPONSE');
    assert.deepEqual(await stored(storage), before);
    client.dispose();
  });
}

test('refreshRetry.attempts counts every call', async () => {
  server.reset();
  const { client } = await loggedIn(server, { ttl: -30, refreshRetry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 2 } });
  server.failRefresh(503);
  assert.equal((await settle(client.fetch('/api/x'))).error?.code, 'REFRESH_FAILED');
  assert.equal(server.refreshCalls, 5);
  server.failRefresh(null);
  client.dispose();
});

test('timeoutMs: a request that takes too long rejects TIMEOUT', async () => {
  const slow = (input, init) => new Promise((resolve, reject) => {
    const signal = (init && init.signal) || input.signal;
    signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
  });
  const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, timeoutMs: 50, fetch: slow });
  const r = await settle(client.fetch('/api/slow'));
  assert.equal(r.error?.code, 'TIMEOUT');
  client.dispose();
});

test('a request that cannot be sent rejects NETWORK_ERROR with the cause', async () => {
  const client = await createAuthClient({ baseUrl: 'http://127.0.0.1:9', refresh: { url: '/refresh' } });
  const r = await settle(client.fetch('/api/x'));
  assert.equal(r.error?.code, 'NETWORK_ERROR');
  assert.ok(r.error.cause instanceof Error);
  client.dispose();
});

test('aborting one held request rejects it with AbortError; the shared refresh completes for the others', async () => {
  server.reset();
  server.setRefreshDelay(100);
  try {
    const { client } = await loggedIn(server, { ttl: -30 });
    const controller = new AbortController();
    const held = [settle(client.fetch('/api/a')), settle(client.fetch('/api/b', { signal: controller.signal })), settle(client.fetch('/api/c'))];
    setTimeout(() => controller.abort(), 20);
    const [a, b, c] = await Promise.all(held);
    assert.equal(b.error?.name, 'AbortError');
    assert.equal(a.value?.status, 200);
    assert.equal(c.value?.status, 200);
    assert.equal(server.refreshCalls, 1);
    assert.equal(server.log.filter((r) => r.path === '/api/b').length, 0);
    client.dispose();
  } finally {
    server.setRefreshDelay(0);
  }
});

test('an access token without a refresh token: a rejection ends the session', async () => {
  server.reset();
  const storage = memoryStorage();
  const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage });
  const { accessToken } = await server.issueTokens({ ttl: 300 });
  const actions = [];
  client.subscribe((a) => actions.push(a.type));
  await client.login({ accessToken });
  server.expireAllAccessTokens();
  const r = await settle(client.fetch('/api/x'));
  assert.equal(r.error?.code, 'SESSION_EXPIRED');
  assert.equal(server.refreshCalls, 0);
  assert.equal(await storage.getItem('authlane.accessToken'), null);
  assert.ok(actions.includes('authlane/sessionExpired'));
  client.dispose();
});

test('with no tokens at all a 401 is returned as is, with no refresh', async () => {
  server.reset();
  const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' } });
  const res = await client.fetch('/api/x');
  assert.equal(res.status, 401);
  assert.equal(server.refreshCalls, 0);
  assert.equal(server.log.at(-1).auth, null);
  client.dispose();
});
