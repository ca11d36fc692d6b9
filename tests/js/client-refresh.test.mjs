// Single-flight refresh against the real server: proactive and reactive, 2/5/100 at once,
// which header each request carried, rotation, the refresh endpoint forms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, ACTION } from 'authlane';
import { startAuthServer, startEchoServer } from '../support/server.mjs';
import { assertNoToken, loggedIn, settle, types } from '../support/client.mjs';

let server, other;
before(async () => { server = await startAuthServer(); other = await startEchoServer(); });
after(async () => { await server.close(); await other.close(); });

for (const n of [2, 5, 100]) {
  test(`${n} requests with an expired token: one refresh, every request sent once with the new token`, async () => {
    server.reset();
    const { client, tokens, actions } = await loggedIn(server, { ttl: -30 });
    const results = await Promise.all(Array.from({ length: n }, (_, i) => settle(client.fetch(`/api/p/${i}`))));
    assert.ok(results.every((r) => r.value && r.value.status === 200));
    assert.equal(server.refreshCalls, 1);
    const sent = server.log.filter((r) => r.path.startsWith('/api/p/'));
    assert.equal(sent.length, n, 'held, not sent with the expired token');
    const headers = new Set(sent.map((r) => r.auth));
    assert.equal(headers.size, 1);
    assert.notEqual([...headers][0], `Bearer ${tokens.accessToken}`);
    assert.deepEqual(types(actions), ['restored', 'loggedIn', 'refreshStarted', 'refreshSucceeded']);
    assert.equal(actions[2].payload.reason, 'expiring');
    assert.equal(actions[3].payload.rotated, true);
    assertNoToken(actions, [tokens.accessToken, tokens.refreshToken]);
    client.dispose();
  });

  test(`${n} requests rejected with 401: one refresh, each resent once with the new token`, async () => {
    server.reset();
    const { client, actions } = await loggedIn(server);
    server.expireAllAccessTokens();
    const results = await Promise.all(Array.from({ length: n }, (_, i) => settle(client.fetch(`/api/r/${i}`))));
    assert.ok(results.every((r) => r.value && r.value.status === 200), JSON.stringify(results.map((r) => r.value?.status ?? r.error?.code)));
    assert.equal(server.refreshCalls, 1);
    for (let i = 0; i < n; i++) {
      const sent = server.log.filter((r) => r.path === `/api/r/${i}`);
      assert.ok(sent.length === 1 || sent.length === 2);
      if (sent.length === 2) assert.notEqual(sent[0].auth, sent[1].auth);
    }
    assert.equal(actions.find((a) => a.type === ACTION.refreshStarted).payload.reason, 'rejected');
    client.dispose();
  });
}

test('another origin never sees the token and is never held', async () => {
  server.reset();
  const { client } = await loggedIn(server, { ttl: -30 });
  const res = await client.fetch(`${other.url}/x`);
  assert.equal(res.status, 200);
  assert.equal(server.refreshCalls, 0, 'a foreign request triggers no refresh');
  await client.fetch('/api/own');
  await client.fetch(`${other.url}/y`, { headers: { 'x-custom': '1' } });
  assert.ok(other.seen.every((r) => r.headers.authorization === undefined));
  assert.equal(other.seen.at(-1).headers['x-custom'], '1');
  client.dispose();
});

test('a redirect to another origin does not carry the token', async () => {
  server.reset();
  const { client } = await loggedIn(server);
  const res = await client.fetch(`/api/redirect?to=${encodeURIComponent(`${other.url}/landing`)}`);
  assert.equal(res.status, 200);
  assert.equal(other.seen.at(-1).path, '/landing');
  assert.equal(other.seen.at(-1).headers.authorization, undefined);
  client.dispose();
});

test('the resend has the same method, URL, headers and body bytes', async () => {
  server.reset();
  const { client } = await loggedIn(server);
  server.expireAllAccessTokens();
  const body = JSON.stringify({ note: 'Zoë ✓', n: [1, 2, 3] });
  const res = await client.fetch('/api/orders?x=1', { method: 'PUT', body, headers: { 'content-type': 'application/json', 'x-trace': 'abc' } });
  assert.equal(res.status, 200);
  const sent = server.log.filter((r) => r.path === '/api/orders');
  assert.equal(sent.length, 2);
  for (const r of sent) {
    assert.equal(r.method, 'PUT');
    assert.equal(r.body, body);
    assert.equal(r.headers['x-trace'], 'abc');
    assert.equal(r.headers['content-type'], 'application/json');
  }
  client.dispose();
});

test('a one-shot stream body that needs a resend fails with BODY_NOT_REPLAYABLE', async () => {
  server.reset();
  const { client } = await loggedIn(server);
  server.expireAllAccessTokens();
  const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('once')); c.close(); } });
  const r = await settle(client.fetch('/api/upload', { method: 'POST', body: stream, duplex: 'half' }));
  assert.equal(r.error?.code, 'BODY_NOT_REPLAYABLE');
  assert.equal(server.log.filter((x) => x.path === '/api/upload').length, 1, 'never resent with an empty body');
  client.dispose();
});

test('refreshOn [403] with a { success, authToken } refresh endpoint (jwt-react-native-boilerplate)', async () => {
  server.reset();
  server.setApiRejectStatus(403);
  server.setRefreshShape('boilerplate');
  try {
    const { client } = await loggedIn(server, { refreshOn: [403] });
    server.expireAllAccessTokens();
    const res = await client.fetch('/api/me');
    assert.equal(res.status, 200);
    assert.equal(server.refreshCalls, 1);
    client.dispose();
  } finally {
    server.setApiRejectStatus(401);
    server.setRefreshShape('default');
  }
});

test('refreshOn as a predicate; a throwing predicate means no', async () => {
  server.reset();
  const seen = [];
  const { client } = await loggedIn(server, { refreshOn: (res) => { seen.push(res.status); return res.status === 401; } });
  server.expireAllAccessTokens();
  assert.equal((await client.fetch('/api/a')).status, 200);
  assert.equal(server.refreshCalls, 1);
  client.dispose();
  const thrower = await loggedIn(server, { refreshOn: () => { throw new Error('nope'); } });
  server.expireAllAccessTokens();
  assert.equal((await thrower.client.fetch('/api/b')).status, 401);
  assert.equal(server.refreshCalls, 1, 'no refresh when the predicate throws');
  // Asked for the resent response too (a refresh's token rejected again starts the cooldown of
  // API.md's "No refresh storms"), which is returned as it is.
  assert.deepEqual(seen, [401, 200]);
  thrower.client.dispose();
});

test('the RefreshFunction form: tokens, null, a 401 throw and a transient throw', async () => {
  server.reset();
  let mode = 'ok';
  const refresh = async ({ refreshToken, signal }) => {
    assert.equal(typeof refreshToken, 'string');
    assert.ok(signal);
    if (mode === 'null') return null;
    if (mode === '401') throw Object.assign(new Error('no'), { status: 401 });
    if (mode === 'boom') throw new Error('offline');
    const t = await server.issueTokens({ ttl: 300 });
    return { accessToken: t.accessToken };
  };
  for (const [m, expect] of [['ok', 200], ['boom', 'REFRESH_FAILED'], ['null', 'SESSION_EXPIRED'], ['401', 'SESSION_EXPIRED']]) {
    mode = m;
    const { client } = await loggedIn(server, { ttl: -30, refresh, refreshRetry: { attempts: 1 } });
    const r = await settle(client.fetch('/api/fn'));
    assert.equal(r.value?.status ?? r.error?.code, expect, m);
    client.dispose();
  }
});

test('relative, absolute and Request inputs all work; auth: false sends untouched', async () => {
  server.reset();
  const { client } = await loggedIn(server);
  assert.equal((await client.fetch(`${server.url}/api/abs`)).status, 200);
  assert.equal((await client.fetch(new Request(`${server.url}/api/req`, { method: 'POST', body: 'x' }))).status, 200);
  assert.equal((await client.fetch(new URL('/api/url', server.url))).status, 200);
  assert.equal((await client.fetch('/api/plain', { auth: false })).status, 401);
  assert.equal(server.log.find((r) => r.path === '/api/plain').auth, null);
  client.dispose();
});

test('a client can be created with only refresh as a function and allowedOrigins', async () => {
  const client = await createAuthClient({ allowedOrigins: [server.url], refresh: async () => null });
  assert.equal(client.session().authenticated, false);
  assert.equal((await client.fetch(`${server.url}/api/anon`)).status, 401, 'no tokens: returned as is');
  client.dispose();
});
