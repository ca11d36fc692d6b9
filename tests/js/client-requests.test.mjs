// The request pipeline as a caller sees it: replay of method/URL/headers/body bytes, one-shot
// bodies, aborts, timeoutMs, network errors, auth: false, no session, refreshOn (statuses and
// predicates) and the RefreshFunction form.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { ACTION, isAuthlaneError } from 'authlane';
import {
  KEYS, assertAll, clientFor, countOf, loggedInClient, newest, serverFor, settleAll, settlesWithin,
  typesSinceLogin,
} from '../support/harness.mjs';

test('the resend after a 401 has the same method, URL, headers and body bytes, and the new token', async (t) => {
  const server = await serverFor(t);
  const { client, tokens } = await loggedInClient(t, server);
  server.expireAllAccessTokens();
  const body = JSON.stringify({ note: 'Zoë ✓ 日本', n: [1, 2, 3] });
  const r = await settlesWithin(client.fetch('/api/orders?x=1&y=%C3%A9', {
    method: 'POST', body, headers: { 'Content-Type': 'application/json', 'X-Custom': 'abc' },
  }));
  assert.equal(r.value?.status, 200);
  assert.equal((await r.value.json()).body, body);
  const sent = server.log.filter((x) => x.path === '/api/orders');
  assert.equal(sent.length, 2);
  for (const x of sent) {
    assert.equal(x.method, 'POST');
    assert.equal(x.url, '/api/orders?x=1&y=%C3%A9');
    assert.equal(x.body, body);
    assert.equal(x.headers['content-type'], 'application/json');
    assert.equal(x.headers['x-custom'], 'abc');
  }
  assert.deepEqual(sent.map((x) => x.auth), [`Bearer ${tokens.accessToken}`, `Bearer ${newest(server).accessToken}`]);
});

test('binary, URLSearchParams and Request bodies are replayed byte for byte', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server);
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const cases = [
    ['/api/bin', () => client.fetch('/api/bin', { method: 'PUT', body: bytes })],
    ['/api/form', () => client.fetch('/api/form', { method: 'POST', body: new URLSearchParams({ a: '1', b: 'é' }) })],
    ['/api/req', () => client.fetch(new Request(`${server.url}/api/req`, { method: 'POST', body: 'from a Request', headers: { 'x-r': '1' } }))],
  ];
  for (const [path, call] of cases) {
    server.expireAllAccessTokens();
    assert.equal((await settlesWithin(call())).value?.status, 200, path);
    const sent = server.log.filter((x) => x.path === path);
    assert.equal(sent.length, 2, path);
    assert.equal(sent[1].bytes, sent[0].bytes, `${path}: same bytes`);
    assert.equal(sent[1].headers['content-type'], sent[0].headers['content-type']);
    assert.ok(sent[0].bytes.length > 0);
  }
  assert.equal(Buffer.from(server.log.find((x) => x.path === '/api/bin').bytes, 'base64').equals(Buffer.from(bytes)), true);
  assert.equal(server.log.find((x) => x.path === '/api/req').headers['x-r'], '1');
});

const oneShot = (text) => new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(text)); c.close(); } });

test('a one-shot stream body that must be sent again fails BODY_NOT_REPLAYABLE, never an empty resend', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server);
  server.expireAllAccessTokens();
  const r = await settlesWithin(client.fetch('/api/upload', { method: 'POST', body: oneShot('once'), duplex: 'half' }));
  assert.equal(r.error?.code, 'BODY_NOT_REPLAYABLE');
  assert.ok(isAuthlaneError(r.error));
  const sent = server.log.filter((x) => x.path === '/api/upload');
  assert.equal(sent.length, 1);
  assert.equal(sent[0].body, 'once');
  assert.equal(server.refreshCalls, 1, 'the session itself was refreshed');
  assert.equal((await settlesWithin(client.fetch('/api/next'))).value?.status, 200);
});

test('a one-shot stream body held during a proactive refresh is sent once, after it, and succeeds', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server, { ttl: -60 });
  const r = await settlesWithin(client.fetch('/api/upload', { method: 'POST', body: oneShot('held'), duplex: 'half' }));
  assert.equal(r.value?.status, 200);
  assert.deepEqual(server.log.filter((x) => x.path === '/api/upload').map((x) => x.body), ['held']);
});

test('aborting one of several held requests rejects only it (AbortError); the shared refresh completes for the others', async (t) => {
  const server = await serverFor(t);
  server.setRefreshDelay(300);
  const { client } = await loggedInClient(t, server, { ttl: -60 });
  const controller = new AbortController();
  const a = settlesWithin(client.fetch('/api/a'));
  const b = settlesWithin(client.fetch('/api/b', { signal: controller.signal }));
  const c = settlesWithin(client.fetch('/api/c', { method: 'POST', body: 'c' }));
  await new Promise((r) => setTimeout(r, 60));
  const t0 = Date.now();
  controller.abort();
  const rb = await b;
  assert.ok(Date.now() - t0 < 200, 'the aborted request rejects at once, not after the refresh');
  assert.equal(rb.error?.name, 'AbortError');
  const [ra, rc] = await Promise.all([a, c]);
  assert.equal(ra.value?.status, 200);
  assert.equal(rc.value?.status, 200);
  assert.equal(server.refreshCalls, 1);
  assert.equal(server.log.filter((x) => x.path === '/api/b').length, 0);
});

test('when every waiting caller aborts, the shared refresh still completes and is kept', async (t) => {
  const server = await serverFor(t);
  server.setRefreshDelay(200);
  const { client, storage, actions } = await loggedInClient(t, server, { ttl: -60 });
  const controller = new AbortController();
  const held = [client.fetch('/api/a', { signal: controller.signal }), client.fetch('/api/b', { signal: controller.signal })];
  await new Promise((r) => setTimeout(r, 40));
  controller.abort();
  const rs = await settleAll(held);
  assertAll(rs, 'AbortError');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshSucceeded']);
  assert.equal(storage.getItem(KEYS[0]), newest(server).accessToken);
  assert.equal((await settlesWithin(client.fetch('/api/c'))).value?.status, 200);
  assert.equal(server.refreshCalls, 1);
  assert.equal(server.reuseDetected, 0);
});

test('an already aborted signal rejects AbortError and sends nothing', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server);
  const r = await settlesWithin(client.fetch('/api/x', { signal: AbortSignal.abort() }));
  assert.equal(r.error?.name, 'AbortError');
  assert.equal(server.apiLog().length, 0);
});

test('timeoutMs: an attempt slower than it rejects TIMEOUT; 0 means no timeout', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server, { timeoutMs: 150 });
  const t0 = Date.now();
  const r = await settlesWithin(client.fetch('/api/slow?delay=2000'));
  assert.equal(r.error?.code, 'TIMEOUT');
  assert.ok(isAuthlaneError(r.error));
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(server.refreshCalls, 0);
  const none = await clientFor(t, server, { timeoutMs: 0 });
  await none.client.login(await server.issueTokens());
  assert.equal((await settlesWithin(none.client.fetch('/api/slow?delay=400'))).value?.status, 200);
});

async function deadPort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('a request that cannot be sent rejects NETWORK_ERROR with the original error as cause', async (t) => {
  const base = `http://127.0.0.1:${await deadPort()}`;
  const server = await serverFor(t);
  const { client } = await clientFor(t, { url: base });
  await client.login(await server.issueTokens());
  const r = await settlesWithin(client.fetch('/api/x'));
  assert.equal(r.error?.code, 'NETWORK_ERROR');
  assert.equal(r.error.name, 'AuthlaneError');
  assert.ok(r.error.cause instanceof Error, 'cause is the transport error');
  assert.ok(!r.error.message.includes(server.issued[0].accessToken));
});

test('init.auth = false sends the request untouched: no header, no refresh, the 401 returned as is', async (t) => {
  const server = await serverFor(t);
  const { client, actions } = await loggedInClient(t, server, { ttl: -60 });
  const r = await settlesWithin(client.fetch('/api/plain', { auth: false, headers: { 'x-a': '1' } }));
  assert.equal(r.value?.status, 401);
  assert.equal(server.log.at(-1).auth, null);
  assert.equal(server.log.at(-1).headers['x-a'], '1');
  assert.equal(server.refreshCalls, 0);
  assert.deepEqual(typesSinceLogin(actions), []);
});

test('with no tokens at all: sent without the header, any status returned as is, no refresh', async (t) => {
  const server = await serverFor(t);
  const { client, actions } = await clientFor(t, server);
  for (const path of ['/api/a', '/api/b']) {
    const r = await settlesWithin(client.fetch(path));
    assert.equal(r.value?.status, 401);
    assert.match((await r.value.json()).error, /none/);
  }
  assert.equal(server.refreshCalls, 0);
  assert.ok(server.log.every((x) => x.auth === null));
  assert.deepEqual(actions.map((a) => a.type), [ACTION.restored]);
});

test('an access token without a refresh token: a 401 ends the session (SESSION_EXPIRED, token removed, sessionExpired once)', async (t) => {
  const server = await serverFor(t);
  const { client, actions, storage } = await clientFor(t, server);
  await client.login({ accessToken: (await server.issueTokens()).accessToken });
  server.expireAllAccessTokens();
  const rs = await settleAll([client.fetch('/api/a'), client.fetch('/api/b')]);
  assertAll(rs, 'SESSION_EXPIRED');
  assert.equal(server.refreshCalls, 0);
  assert.equal(storage.getItem(KEYS[0]), null);
  assert.equal(countOf(actions, 'sessionExpired'), 1);
  assert.equal(client.session().authenticated, false);
});

test("refreshOn: [403] against a 403 API and a { success, authToken } refresh endpoint", async (t) => {
  const server = await serverFor(t, { apiRejectStatus: 403, refreshShape: 'boilerplate' });
  const { client, storage, tokens } = await loggedInClient(t, server, { refreshOn: [403] });
  server.expireAllAccessTokens();
  const rs = await settleAll([client.fetch('/api/me'), client.fetch('/api/me2')]);
  assertAll(rs, 200);
  assert.equal(server.refreshCalls, 1);
  assert.equal(server.log.at(-1).auth, `Bearer ${newest(server).accessToken}`);
  assert.equal(storage.getItem(KEYS[1]), tokens.refreshToken, 'no refresh token in the answer: the old one is kept');
  // A 401 is now not a rejection of the token: returned as is.
  server.setApiRejectStatus(401);
  server.expireAllAccessTokens();
  assert.equal((await settlesWithin(client.fetch('/api/x'))).value?.status, 401);
  assert.equal(server.refreshCalls, 1);
});

test('the default refreshOn ([401]) returns a 403 as it is', async (t) => {
  const server = await serverFor(t, { apiRejectStatus: 403 });
  const { client } = await loggedInClient(t, server);
  server.expireAllAccessTokens();
  assert.equal((await settlesWithin(client.fetch('/api/x'))).value?.status, 403);
  assert.equal(server.refreshCalls, 0);
});

test('refreshOn as a predicate (sync and async) gets the Response; a throwing or rejecting predicate means no', async (t) => {
  const server = await serverFor(t);
  const seen = [];
  const pred = (res) => { seen.push([res.status, res.headers.get('x-token-state')]); return res.headers.get('x-token-state') === 'revoked'; };
  const sync = await loggedInClient(t, server, { refreshOn: pred });
  server.expireAllAccessTokens();
  assert.equal((await settlesWithin(sync.client.fetch('/api/a'))).value?.status, 200);
  assert.equal(server.refreshCalls, 1);
  assert.deepEqual(seen[0], [401, 'revoked']);
  const asyncPred = await loggedInClient(t, server, { refreshOn: async (res) => res.status === 401 });
  server.expireAllAccessTokens();
  assert.equal((await settlesWithin(asyncPred.client.fetch('/api/b'))).value?.status, 200);
  assert.equal(server.refreshCalls, 2);
  for (const refreshOn of [() => { throw new Error('bug'); }, async () => { throw new Error('bug'); }]) {
    const c = await loggedInClient(t, server, { refreshOn });
    server.expireAllAccessTokens();
    const r = await settlesWithin(c.client.fetch('/api/c'));
    assert.equal(r.value?.status, 401, 'returned as is');
    assert.equal(server.refreshCalls, 2);
  }
});

test('RefreshFunction: gets { refreshToken, signal }; a TokenSet without refreshToken keeps the old one', async (t) => {
  const server = await serverFor(t);
  const calls = [];
  const refresh = async ({ refreshToken, signal }) => {
    calls.push({ refreshToken, isSignal: signal instanceof AbortSignal });
    const pair = await server.issueTokens();
    return { accessToken: pair.accessToken };
  };
  const { client, storage, tokens, actions } = await loggedInClient(t, server, { ttl: -60, refresh });
  const rs = await settleAll(Array.from({ length: 5 }, () => client.fetch('/api/f')));
  assertAll(rs, 200);
  assert.deepEqual(calls, [{ refreshToken: tokens.refreshToken, isSignal: true }]);
  assert.equal(server.refreshCalls, 0, 'the endpoint is not used');
  assert.equal(storage.getItem(KEYS[1]), tokens.refreshToken);
  assert.equal(actions.at(-1).payload.rotated, false);
});

const fnCases = [
  ['returns null', async () => null, 'SESSION_EXPIRED', 1],
  ['throws { status: 401 }', async () => { throw Object.assign(new Error('revoked'), { status: 401 }); }, 'SESSION_EXPIRED', 1],
  ['throws { status: 400 }', async () => { throw Object.assign(new Error('bad'), { status: 400 }); }, 'SESSION_EXPIRED', 1],
  ['throws { status: 403 }', async () => { throw Object.assign(new Error('forbidden'), { status: 403 }); }, 'SESSION_EXPIRED', 1],
  ['throws an Error', async () => { throw new Error('offline'); }, 'REFRESH_FAILED', 3],
  ['throws { status: 503 }', async () => { throw Object.assign(new Error('down'), { status: 503 }); }, 'REFRESH_FAILED', 3],
];
for (const [name, fn, code, calls] of fnCases) {
  test(`RefreshFunction ${name}: held requests reject ${code} after ${calls} call(s)`, async (t) => {
    const server = await serverFor(t);
    let n = 0;
    const { client, storage, actions } = await loggedInClient(t, server, { ttl: -60, refresh: (arg) => { n++; return fn(arg); } });
    const rs = await settleAll([client.fetch('/api/a'), client.fetch('/api/b')]);
    assertAll(rs, code);
    assert.equal(n, calls);
    const kept = storage.getItem(KEYS[1]) !== null;
    assert.equal(kept, code === 'REFRESH_FAILED', 'tokens kept only for a transient failure');
    assert.equal(countOf(actions, 'sessionExpired'), code === 'SESSION_EXPIRED' ? 1 : 0);
  });
}
