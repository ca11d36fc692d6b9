// Lifecycle: restored/loggedIn/loggedOut actions, login() and logout() during an in-flight
// refresh, session(), subscribe() and the dispatch option, listeners that throw or call fetch,
// dispose() (also in a child process that must exit), and INVALID_CONFIG.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { createAuthClient, ACTION, AuthlaneError, isAuthlaneError, memoryStorage } from 'authlane';
import {
  KEYS, assertAll, assertNoTokens, clientFor, countOf, delay, loggedInClient, newest, serverFor,
  settleAll, settlesWithin, typesOf,
} from '../support/harness.mjs';

test('restored, loggedIn and loggedOut actions; session() follows; payloads carry no token', async (t) => {
  const server = await serverFor(t);
  const storage = memoryStorage();
  const first = await clientFor(t, server, { storage });
  assert.deepEqual(first.actions, [{ type: ACTION.restored, payload: { authenticated: false, claims: null, expiresAt: null } }]);
  assert.deepEqual(first.client.session(), { authenticated: false, claims: null, expiresAt: null });
  const pair = await server.issueTokens();
  await first.client.login(pair);
  const { claims, exp } = { claims: first.actions[1].payload.claims, exp: server.issued[0].exp };
  assert.deepEqual(first.actions[1], { type: ACTION.loggedIn, payload: { claims, expiresAt: exp * 1000 } });
  assert.equal(claims.sub, 'user-1');
  assert.equal(claims.jti, server.issued[0].jti);
  assert.deepEqual(first.client.session(), { authenticated: true, claims, expiresAt: exp * 1000 });
  assert.deepEqual(KEYS.map((k) => storage.getItem(k)), [pair.accessToken, pair.refreshToken]);
  // A second client on the same storage restores the session.
  const second = await clientFor(t, server, { storage });
  assert.deepEqual(second.actions, [{ type: ACTION.restored, payload: { authenticated: true, claims, expiresAt: exp * 1000 } }]);
  await first.client.logout();
  assert.deepEqual(first.actions.at(-1), { type: ACTION.loggedOut, payload: {} });
  assert.deepEqual(KEYS.map((k) => storage.getItem(k)), [null, null]);
  assert.equal(first.client.session().authenticated, false);
  assertNoTokens([first.actions, second.actions, first.client.session(), second.client.session()], server);
});

// login() announced nothing to the other clients and tabs on its storage: they took the new
// session only when its first refresh broadcast new tokens (a logged-out tab stayed logged out
// until then). Our tests logged in one client per storage, or opened the second one afterwards.
test('a login in one client reaches the other clients sharing its storage: loggedIn, and their requests carry it', async (t) => {
  const server = await serverFor(t);
  const storage = memoryStorage();
  const first = await clientFor(t, server, { storage });
  const second = await clientFor(t, server, { storage });
  const pair = await server.issueTokens();
  await first.client.login(pair);
  await delay(20);
  assert.deepEqual(typesOf(second.actions), ['restored', 'loggedIn']);
  assert.deepEqual(second.client.session(), first.client.session());
  const res = await settlesWithin(second.client.fetch('/api/me'));
  assert.equal(res.value.status, 200);
  assert.equal(server.refreshCalls, 0);
  assertNoTokens([first.actions, second.actions], server);
});

test('tokens from the server\'s POST /login: login() stores them and requests carry them', async (t) => {
  const server = await serverFor(t);
  const { client, actions } = await clientFor(t, server);
  // The login call itself is a plain request (no session yet): it goes through client.fetch untouched.
  const res = await client.fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'ann', password: 'password' }) });
  assert.equal(res.status, 200);
  await client.login(await res.json());
  assert.equal(client.session().claims.sub, 'ann');
  const me = await settlesWithin(client.fetch('/api/me'));
  assert.equal((await me.value.json()).sub, 'ann');
  assert.deepEqual(typesOf(actions), ['restored', 'loggedIn']);
  assertNoTokens(actions, server);
});

test('login() during an in-flight refresh: held requests use the new session; the late result never overwrites it', async (t) => {
  const server = await serverFor(t);
  server.setRefreshDelay(300);
  const { client, storage, actions } = await loggedInClient(t, server, { ttl: -60 });
  const held = settleAll([client.fetch('/api/a'), client.fetch('/api/b')]);
  await delay(60);
  const fresh = await server.issueTokens({ sub: 'user-2' });
  await client.login(fresh);
  const rs = await held;
  assertAll(rs, 200);
  assert.ok(server.apiLog().every((r) => r.auth === `Bearer ${fresh.accessToken}`), 'sent with the new login token');
  await delay(400); // the late refresh answer has arrived by now
  assert.equal(server.refreshCalls, 1);
  assert.deepEqual(KEYS.map((k) => storage.getItem(k)), [fresh.accessToken, fresh.refreshToken]);
  assert.equal(client.session().claims.sub, 'user-2');
  assert.equal(client.session().claims.jti, server.issued[1].jti);
  const since = typesOf(actions).slice(typesOf(actions).lastIndexOf('loggedIn'));
  assert.ok(!since.includes('refreshSucceeded'), `no late refreshSucceeded: ${since}`);
  assert.equal((await settlesWithin(client.fetch('/api/c'))).value?.status, 200);
  assert.equal(server.log.at(-1).auth, `Bearer ${fresh.accessToken}`);
});

test('login() during a refresh that then fails definitively: the new session is not ended', async (t) => {
  const server = await serverFor(t);
  server.setRefreshDelay(300);
  server.failRefresh(401);
  const { client, storage, actions } = await loggedInClient(t, server, { ttl: -60 });
  const held = settlesWithin(client.fetch('/api/a'));
  await delay(60);
  const fresh = await server.issueTokens();
  await client.login(fresh);
  await held;
  await delay(400);
  assert.deepEqual(KEYS.map((k) => storage.getItem(k)), [fresh.accessToken, fresh.refreshToken]);
  assert.equal(client.session().authenticated, true);
  assert.equal(countOf(actions, 'sessionExpired'), 0);
  server.failRefresh(null);
  assert.equal((await settlesWithin(client.fetch('/api/b'))).value?.status, 200);
});

test('logout() during an in-flight refresh: held requests reject LOGGED_OUT; storage stays empty afterwards', async (t) => {
  const server = await serverFor(t);
  server.setRefreshDelay(300);
  const { client, storage, actions } = await loggedInClient(t, server, { ttl: -60 });
  const held = settleAll(Array.from({ length: 3 }, (_, i) => client.fetch(`/api/h/${i}`)));
  await delay(60);
  await client.logout();
  const rs = await held;
  assertAll(rs, 'LOGGED_OUT');
  await delay(400);
  assert.deepEqual(KEYS.map((k) => storage.getItem(k)), [null, null], 'the late refresh result wrote nothing');
  assert.equal(client.session().authenticated, false);
  assert.equal(server.apiLog().length, 0);
  const after = typesOf(actions).slice(typesOf(actions).indexOf('loggedOut'));
  assert.deepEqual(after, ['loggedOut'], 'nothing after loggedOut (no late refreshSucceeded)');
  const r = await settlesWithin(client.fetch('/api/x'));
  assert.equal(r.value?.status, 401);
  assert.equal(server.log.at(-1).auth, null);
});

test('subscribe(): every action in order, the same the dispatch option gets; unsubscribe stops it', async (t) => {
  const server = await serverFor(t);
  const { client, actions } = await loggedInClient(t, server, { ttl: -60 });
  const got = [];
  const unsubscribe = client.subscribe((a) => got.push(a));
  assert.equal(typeof unsubscribe, 'function');
  await settlesWithin(client.fetch('/api/a'));
  server.failRefresh(401);
  await settlesWithin(client.refresh());
  assert.deepEqual(typesOf(got), ['refreshStarted', 'refreshSucceeded', 'refreshStarted', 'refreshFailed', 'sessionExpired']);
  assert.deepEqual(got, actions.slice(2));
  unsubscribe();
  await client.login(await server.issueTokens());
  assert.equal(got.length, 5);
  assert.equal(actions.at(-1).type, ACTION.loggedIn);
  for (const a of actions) assert.ok(a.type.startsWith('authlane/') && 'payload' in a, JSON.stringify(a));
  assertNoTokens([actions, got], server);
});

test('a listener that throws does not break the client or the other listeners', async (t) => {
  const server = await serverFor(t);
  const errors = [];
  const onError = (e) => errors.push(e);
  process.on('uncaughtException', onError);
  t.after(() => process.off('uncaughtException', onError));
  const { client, actions } = await loggedInClient(t, server, { ttl: -60, dispatch: () => { throw new Error('dispatch bug'); } });
  const seen = [];
  client.subscribe(() => { throw new Error('listener bug'); });
  client.subscribe((a) => seen.push(a.type));
  const rs = await settleAll(Array.from({ length: 3 }, () => client.fetch('/api/x')));
  assertAll(rs, 200);
  assert.deepEqual(seen, [ACTION.refreshStarted, ACTION.refreshSucceeded]);
  await client.logout();
  assert.equal(client.session().authenticated, false);
  assert.equal(actions.length, 0, 'our dispatch was replaced by the throwing one');
  await delay(20);
  assert.deepEqual(errors, [], 'nothing thrown out of band');
});

test('a listener may call client.fetch inside the callback (no deadlock, no second refresh)', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server, { ttl: -60 });
  const inner = [];
  client.subscribe((a) => {
    if (a.type === ACTION.refreshStarted) inner.push(client.fetch('/api/in-started'));
    if (a.type === ACTION.refreshSucceeded) inner.push(client.fetch('/api/in-succeeded'));
    if (a.type === ACTION.sessionExpired) inner.push(client.fetch('/api/in-expired'));
  });
  assert.equal((await settlesWithin(client.fetch('/api/x'))).value?.status, 200);
  assertAll(await settleAll(inner), 200);
  assert.equal(server.refreshCalls, 1);
  const fresh = `Bearer ${newest(server).accessToken}`;
  assert.ok(server.apiLog().every((r) => r.auth === fresh));
  server.expireAllAccessTokens();
  server.failRefresh(401);
  inner.length = 0;
  assert.equal((await settlesWithin(client.fetch('/api/y'))).error?.code, 'SESSION_EXPIRED');
  const rs = await settleAll(inner);
  assert.deepEqual(rs.map((r) => r.value?.status ?? r.error?.code).at(-1), 401, 'after the session ended: sent bare');
});

test('dispose(): held requests reject LOGGED_OUT, tokens are kept', async (t) => {
  const server = await serverFor(t);
  server.setRefreshDelay(300);
  const storage = memoryStorage();
  const { client, tokens } = await loggedInClient(t, server, { ttl: -60, storage });
  const held = settleAll([client.fetch('/api/a'), client.fetch('/api/b')]);
  await delay(60);
  client.dispose();
  assertAll(await held, 'LOGGED_OUT');
  await delay(350);
  assert.deepEqual(KEYS.map((k) => storage.getItem(k)), [tokens.accessToken, tokens.refreshToken]);
  assert.equal(server.apiLog().length, 0);
  assert.ok('value' in (await settlesWithin(createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage }).then((c) => c.dispose()))));
});

/** Runs tests/support/dispose-child.mjs; resolves with { code, ms, held }. */
async function runDisposeChild(args) {
  const child = spawn(process.execPath, [fileURLToPath(new URL('../support/dispose-child.mjs', import.meta.url)), JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const t0 = Date.now();
  const exit = await settlesWithin(new Promise((resolve) => child.on('exit', (code) => resolve(code))), 5000, 'the child process exit')
    .finally(() => child.exitCode === null && child.kill());
  const last = out.trim().split('\n').at(-1);
  return { code: exit.value, ms: Date.now() - t0, out, held: last && last.startsWith('{') ? JSON.parse(last).held : undefined };
}

test('dispose() during a hung refresh (auto refresh on): the held request rejects LOGGED_OUT and the process exits', async (t) => {
  const server = await serverFor(t);
  server.failRefresh('timeout');
  const r = await runDisposeChild({ base: server.url, tokens: await server.issueTokens({ ttl: -60 }) });
  assert.equal(r.code, 0, r.out);
  assert.ok(r.ms < 3000, `exited ${r.ms} ms after start`);
  assert.equal(r.held, 'LOGGED_OUT');
  assert.equal(server.refreshCalls, 1);
});

test('dispose() during a hung request in flight: the request settles and the process exits', async (t) => {
  const server = await serverFor(t);
  const r = await runDisposeChild({ base: server.url, tokens: await server.issueTokens(), path: '/api/hung?delay=60000' });
  assert.equal(r.code, 0, r.out);
  assert.ok(r.ms < 3000, `exited ${r.ms} ms after start`);
  assert.notEqual(r.held, undefined, 'the in-flight request settled');
});

test('bad options reject INVALID_CONFIG with a message naming the option', async (t) => {
  const server = await serverFor(t);
  const ok = { baseUrl: server.url, refresh: { url: '/refresh' } };
  const cases = [
    [{ baseUrl: server.url }, 'refresh'],
    [{ ...ok, refresh: { method: 'POST' } }, 'refresh'],
    [{ ...ok, refresh: 42 }, 'refresh'],
    [{ ...ok, allowedOrigins: ['*'] }, 'allowedOrigins'],
    [{ ...ok, allowedOrigins: 'https://a.test' }, 'allowedOrigins'],
    [{ ...ok, timeoutMs: -1 }, 'timeoutMs'],
    [{ ...ok, timeoutMs: 'soon' }, 'timeoutMs'],
    [{ ...ok, refreshTimeoutMs: -5 }, 'refreshTimeoutMs'],
    [{ ...ok, leewaySeconds: -1 }, 'leewaySeconds'],
    [{ ...ok, refreshRetry: { attempts: 0 } }, 'attempts'],
    [{ ...ok, refreshOn: 401 }, 'refreshOn'],
    [{ ...ok, storage: { getItem() {} } }, 'storage'],
    [{ ...ok, storageKey: '' }, 'storageKey'],
    [{ ...ok, fetch: 'fetch' }, 'fetch'],
    [{ ...ok, dispatch: 'nope' }, 'dispatch'],
    [{ ...ok, now: 5 }, 'now'],
    [{ ...ok, baseUrl: 'not a url' }, 'baseUrl'],
  ];
  const wrong = [];
  for (const [options, name] of cases) {
    const r = await settlesWithin(createAuthClient(options));
    if (!(r.error instanceof AuthlaneError && isAuthlaneError(r.error) && r.error.code === 'INVALID_CONFIG' && r.error.message.includes(name))) {
      wrong.push(`${name}: ${r.error ? `${r.error.code} ${r.error.message}` : 'resolved'}`);
      if (r.value) r.value.dispose();
    }
  }
  assert.deepEqual(wrong, []);
  assert.equal((await settlesWithin(createAuthClient())).error?.code, 'INVALID_CONFIG');
});

// Next.js's edge sandbox (middleware under next start and next dev) defines the global fetch in
// Node's realm: a function, but no instance of the sandbox's Function. createAuthClient rejected
// there with INVALID_CONFIG "there is no global fetch here".
test('a global fetch made in another realm is a global fetch', async (t) => {
  const server = await serverFor(t);
  const own = globalThis.fetch;
  const calls = [];
  const foreign = runInNewContext('(send, calls) => function fetch(...args) { calls.push(args.length); return send(...args); }')(own, calls);
  assert.ok(typeof foreign === 'function' && !(foreign instanceof Function));
  globalThis.fetch = foreign;
  t.after(() => { globalThis.fetch = own; });
  const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' } });
  t.after(() => client.dispose());
  await client.login(await server.issueTokens());
  assert.equal((await client.fetch('/api/a')).status, 200);
  assert.equal(calls.length, 1, 'the request went through that fetch');
  globalThis.fetch = undefined; // and where there is none, still INVALID_CONFIG
  assert.equal((await settlesWithin(createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' } }))).error?.code, 'INVALID_CONFIG');
});
