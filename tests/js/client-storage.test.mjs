// Storage: split { access, refresh } storages and storageKey, async storage, tokens written before
// held requests are resent, corrupt stored values, storage failing at start and while refreshed
// tokens are written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, ACTION, isAuthlaneError } from 'authlane';
import {
  assertAll, clientFor, loggedInClient, newest, serverFor, settleAll, settlesWithin, spyStorage,
  typesSinceLogin,
} from '../support/harness.mjs';

test('split storages: each gets only its own key, through login, refresh with rotation and logout', async (t) => {
  const server = await serverFor(t);
  const access = spyStorage();
  const refresh = spyStorage();
  const { client, tokens } = await loggedInClient(t, server, { ttl: -60, storage: { access, refresh } });
  assert.equal(access.items.get('authlane.accessToken'), tokens.accessToken);
  assert.equal(refresh.items.get('authlane.refreshToken'), tokens.refreshToken);
  assert.equal((await settlesWithin(client.fetch('/api/x'))).value?.status, 200);
  assert.deepEqual([...access.items], [['authlane.accessToken', newest(server).accessToken]]);
  assert.deepEqual([...refresh.items], [['authlane.refreshToken', newest(server).refreshToken]]);
  await client.logout();
  assert.equal(access.items.size + refresh.items.size, 0);
  assert.ok(access.calls.length > 0 && access.calls.every(([, key]) => key === 'authlane.accessToken'), JSON.stringify(access.calls));
  assert.ok(refresh.calls.length > 0 && refresh.calls.every(([, key]) => key === 'authlane.refreshToken'), JSON.stringify(refresh.calls));
});

test('storageKey names the keys; a new client restores the session from them', async (t) => {
  const server = await serverFor(t);
  const access = spyStorage();
  const refresh = spyStorage();
  const storage = { access, refresh };
  const { tokens } = await loggedInClient(t, server, { storage, storageKey: 'myapp' });
  assert.deepEqual([...access.items.keys()], ['myapp.accessToken']);
  assert.deepEqual([...refresh.items.keys()], ['myapp.refreshToken']);
  assert.ok(access.calls.every(([, k]) => k === 'myapp.accessToken'));
  const again = await clientFor(t, server, { storage, storageKey: 'myapp' });
  assert.equal(again.actions[0].payload.authenticated, true);
  assert.equal((await settlesWithin(again.client.fetch('/api/x'))).value?.status, 200);
  assert.equal(server.log.at(-1).auth, `Bearer ${tokens.accessToken}`);
  const other = await clientFor(t, server, { storage });
  assert.equal(other.client.session().authenticated, false, 'the default key finds nothing');
});

test('async storage (Promises) works: restore, refresh with rotation, logout', async (t) => {
  const server = await serverFor(t);
  const storage = spyStorage({ async: true });
  const pair = await server.issueTokens({ ttl: -60 });
  storage.items.set('authlane.accessToken', pair.accessToken);
  storage.items.set('authlane.refreshToken', pair.refreshToken);
  const { client, actions } = await clientFor(t, server, { storage });
  assert.equal(actions[0].payload.authenticated, true);
  assertAll(await settleAll(Array.from({ length: 5 }, () => client.fetch('/api/x'))), 200);
  assert.equal(server.refreshCalls, 1);
  assert.equal(storage.items.get('authlane.refreshToken'), newest(server).refreshToken);
  await client.logout();
  assert.equal(storage.items.size, 0);
});

test('refreshed tokens are in storage before any held request is sent again', async (t) => {
  const server = await serverFor(t);
  const storage = spyStorage({ async: true });
  const writes = [];
  const set = storage.setItem;
  storage.setItem = (k, v) => set(k, v).then(() => new Promise((r) => setTimeout(r, 50))).then(() => void writes.push({ k, at: Date.now() }));
  const { client } = await loggedInClient(t, server, { ttl: -60, storage });
  writes.length = 0;
  assertAll(await settleAll([client.fetch('/api/a'), client.fetch('/api/b')]), 200);
  assert.deepEqual(writes.map((w) => w.k).sort(), ['authlane.accessToken', 'authlane.refreshToken']);
  const firstSend = Math.min(...server.apiLog().map((r) => r.at));
  assert.ok(writes.every((w) => w.at <= firstSend), 'both written before the first held request left');
});

const corrupt = [['an empty string', ''], ['spaces', '  '], ['a space inside', 'a b'], ['a tab', 'ab\tc'], ['a newline', 'ab\ncd'],
  ['a control character', 'ab\u0001c'], ['a number', 42], ['an object', { token: 'x' }], ['true', true]];
for (const [name, bad] of corrupt) {
  test(`a stored value that is ${name} is removed at start and counts as logged out`, async (t) => {
    const server = await serverFor(t);
    const storage = spyStorage({ initial: { 'authlane.accessToken': bad, 'authlane.refreshToken': bad } });
    const { client, actions } = await clientFor(t, server, { storage });
    assert.equal(storage.items.size, 0, 'both removed');
    assert.deepEqual(actions, [{ type: ACTION.restored, payload: { authenticated: false, claims: null, expiresAt: null } }]);
    assert.equal(client.session().authenticated, false);
    const r = await settlesWithin(client.fetch('/api/x'));
    assert.equal(r.value?.status, 401);
    assert.equal(server.log.at(-1).auth, null);
    assert.equal(server.refreshCalls, 0);
  });
}

test('storage whose getItem throws (or rejects) at start: createAuthClient rejects STORAGE_ERROR with the cause', async (t) => {
  const server = await serverFor(t);
  for (const async of [false, true]) {
    const storage = spyStorage({ async });
    storage.failOn = 'get';
    storage.failing = true;
    const r = await settlesWithin(createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage }));
    assert.ok(isAuthlaneError(r.error), `async=${async}`);
    assert.equal(r.error.code, 'STORAGE_ERROR');
    assert.equal(r.error.cause, storage.error);
  }
  // Only the refresh half of a split storage failing is enough.
  const refresh = spyStorage();
  refresh.failOn = 'get';
  refresh.failing = true;
  const r = await settlesWithin(createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage: { access: spyStorage(), refresh } }));
  assert.equal(r.error?.code, 'STORAGE_ERROR');
});

for (const async of [false, true]) {
  test(`storage whose setItem ${async ? 'rejects' : 'throws'} during a refresh: held requests reject STORAGE_ERROR; the next request works`, async (t) => {
    const server = await serverFor(t);
    const storage = spyStorage({ async });
    const { client, actions } = await loggedInClient(t, server, { ttl: -60, storage });
    storage.failOn = 'set';
    storage.failing = true;
    const rs = await settleAll(Array.from({ length: 3 }, () => client.fetch('/api/x')));
    assertAll(rs, 'STORAGE_ERROR');
    // API.md does not say which action a storage failure after a good refresh dispatches; only that
    // the session goes on. (The implementation dispatches refreshSucceeded.) A refreshFailed, if
    // any, must carry the code the held requests rejected with.
    assert.equal(typesSinceLogin(actions)[0], 'refreshStarted');
    assert.ok(!typesSinceLogin(actions).includes('sessionExpired'));
    for (const a of actions) if (a.type === ACTION.refreshFailed) assert.equal(a.payload.code, 'STORAGE_ERROR');
    assert.equal(client.session().authenticated, true, 'the session is not ended');
    storage.failing = false;
    const next = await settlesWithin(client.fetch('/api/y'));
    assert.equal(next.value?.status, 200, 'the client keeps working');
    assert.equal(server.reuseDetected, 0, 'the rotated refresh token was not lost and reused');
    assert.ok(server.refreshTokenValid(storage.items.get('authlane.refreshToken')), 'storage ends with the current refresh token');
    assert.equal(storage.items.get('authlane.accessToken'), server.log.at(-1).auth.slice('Bearer '.length));
    // API.md: STORAGE_ERROR carries the storage's own error as `cause`.
    assert.ok(rs.every((r) => r.error.cause === storage.error), `the storage error is the cause (got: ${rs[0].error.cause})`);
  });
}

/** A client whose refreshed tokens storage refused to write (they stay in memory, unsaved);
 *  the storage works again from now on. */
async function withUnsavedTokens(t) {
  const server = await serverFor(t);
  const storage = spyStorage({ async: true });
  const { client } = await loggedInClient(t, server, { ttl: -60, storage });
  storage.failOn = 'set';
  storage.failing = true;
  assertAll(await settleAll([client.fetch('/api/x')]), 'STORAGE_ERROR');
  storage.failing = false;
  return { server, storage, client };
}

// The shell now performs the waits the core names (a refresh, the write of tokens storage refused
// earlier) and asks the core again after each. A client disposed meanwhile is freed: asking it
// again threw wasm-bindgen's "null pointer passed to rust" instead of LOGGED_OUT.
test('dispose() while a request waits for tokens storage refused earlier to be written: it rejects LOGGED_OUT', async (t) => {
  const { storage, client } = await withUnsavedTokens(t);
  let release;
  const write = storage.setItem;
  storage.setItem = (key, value) => new Promise((resolve) => { release = () => resolve(write(key, value)); });
  const held = client.fetch('/api/y');
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(typeof release, 'function', 'the request waits for the write');
  client.dispose();
  release();
  const r = await settlesWithin(held);
  assert.equal(r.error?.code, 'LOGGED_OUT', `settled with ${r.error?.message ?? r.value?.status}`);
});

// Each request that found the tokens unsaved wrote them itself: a burst of n requests made n
// writes of the same tokens at once (n round trips to AsyncStorage in React Native). The core
// now starts one write and every request that asks while it runs waits for that one.
test('tokens storage refused earlier are written once for a burst of requests, not once per request', async (t) => {
  const { server, storage, client } = await withUnsavedTokens(t);
  storage.calls.length = 0;
  const rs = await settleAll(Array.from({ length: 5 }, (_, i) => client.fetch(`/api/burst/${i}`)));
  assertAll(rs, 200);
  const writes = storage.calls.filter(([op]) => op === 'set');
  assert.deepEqual(writes.map(([, key]) => key).sort(), ['authlane.accessToken', 'authlane.refreshToken'],
    `one write of each token, got ${JSON.stringify(writes)}`);
  assert.equal(storage.items.get('authlane.accessToken'), server.log.at(-1).auth.slice('Bearer '.length));
});
