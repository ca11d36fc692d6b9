// Security: storage callbacks (getItem, setItem, removeItem; sync and async) and dispatch /
// subscribe listeners that throw or reject with any JS value never trap the wasm module: every
// promise settles, errors carry the codes API.md gives (STORAGE_ERROR with the thrown value as
// `cause`), nothing is left as an unhandled rejection, and the client and the module keep working.
import { beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, isAuthlaneError } from 'authlane';
import { clientFor, delay, loggedInClient, serverFor, settleAll, settlesWithin, spyStorage, typesSinceLogin } from '../support/harness.mjs';

const { proxy: revoked, revoke } = Proxy.revocable({}, {});
revoke();
const VALUES = [
  ['null', null], ['undefined', undefined], ['a string', 'storage is locked'], ['a number', 42],
  ['a plain object', { reason: 'quota' }], ['an Error', new Error('disk full')], ['a Symbol', Symbol('thrown')],
  ['an object without a prototype', Object.create(null)], ['a revoked Proxy', revoked],
  ['an object whose toString throws', { toString() { throw new Error('no string'); } }],
];

const unhandled = [];
process.on('unhandledRejection', (reason) => unhandled.push(reason));
beforeEach(() => { unhandled.length = 0; });

/** A spyStorage that throws (or rejects with) exactly `value`, undefined included. */
function failingStorage(async, value) {
  const storage = spyStorage({ async });
  storage.error = value;
  return storage;
}

/** No trap, no undocumented error: an AuthlaneError with `code` (and the thrown value as cause). */
function assertStorageError(r, value, what) {
  assert.ok('error' in r, `${what}: expected a rejection`);
  assert.ok(!(r.error instanceof WebAssembly.RuntimeError), `${what}: the module trapped: ${r.error.message}`);
  assert.ok(isAuthlaneError(r.error), `${what}: not an AuthlaneError: ${r.error}`);
  assert.equal(r.error.code, 'STORAGE_ERROR', what);
  assert.ok(Object.is(r.error.cause, value), `${what}: the thrown value is the cause`);
}

/** The module still works for a new client: an expired token is refreshed, stored and sent. */
async function moduleWorks(t, server) {
  const { client } = await loggedInClient(t, server, { ttl: -60 });
  assert.equal((await settlesWithin(client.fetch('/api/module-check'))).value?.status, 200, 'the module works');
}

/** Lets queued rejections surface, then fails if any was left unhandled. */
async function assertNoUnhandled() {
  await delay(20);
  assert.deepEqual(unhandled.splice(0).map(String), [], 'unhandled rejections');
}

for (const [name, value] of VALUES) {
  for (const async of [false, true]) {
    const how = async ? 'rejects' : 'throws';
    test(`storage that ${how} ${name}: STORAGE_ERROR at start, on login, on a refresh, on logout; the client goes on`, async (t) => {
      const server = await serverFor(t);
      const broken = failingStorage(async, value);
      broken.failing = true;
      broken.failOn = 'get';
      assertStorageError(await settlesWithin(createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' }, storage: broken })), value, 'getItem at start');

      const storage = failingStorage(async, value);
      const { client, actions } = await clientFor(t, server, { storage });
      storage.failing = true;
      storage.failOn = 'set';
      assertStorageError(await settlesWithin(client.login(await server.issueTokens({ ttl: -60 }))), value, 'setItem on login');
      const held = await settleAll([client.fetch('/api/a'), client.fetch('/api/b')]);
      for (const r of held) assertStorageError(r, value, 'setItem of refreshed tokens');
      storage.failing = false;
      assert.equal((await settlesWithin(client.fetch('/api/c'))).value?.status, 200, 'the next request works');
      assert.ok(!typesSinceLogin(actions).includes('sessionExpired'));

      storage.failing = true;
      storage.failOn = 'remove';
      assertStorageError(await settlesWithin(client.logout()), value, 'removeItem on logout');
      assert.equal(client.session().authenticated, false, 'logged out in memory even so');
      assert.equal((await settlesWithin(client.fetch('/api/after-logout'))).value?.status, 401);
      assert.equal(server.apiLog('/api/after-logout')[0].auth, null, 'no token sent after logout');
      storage.failing = false;
      await client.login(await server.issueTokens());
      assert.equal((await settlesWithin(client.fetch('/api/d'))).value?.status, 200);
      await moduleWorks(t, server);
      await assertNoUnhandled();
    });
  }

  test(`storage whose removeItem throws ${name} when the session ends: the held request settles with a documented code`, async (t) => {
    const server = await serverFor(t);
    const storage = failingStorage(false, value);
    const { client } = await loggedInClient(t, server, { ttl: -60, storage });
    server.failRefresh(401);
    storage.failing = true;
    storage.failOn = 'remove';
    const r = await settlesWithin(client.fetch('/api/x'));
    assert.ok(isAuthlaneError(r.error) && ['SESSION_EXPIRED', 'STORAGE_ERROR'].includes(r.error.code), String(r.error));
    assert.equal(client.session().authenticated, false);
    server.failRefresh(null);
    storage.failing = false;
    await client.login(await server.issueTokens({ ttl: -60 }));
    assert.equal((await settlesWithin(client.fetch('/api/y'))).value?.status, 200);
    await assertNoUnhandled();
  });

  test(`dispatch and subscribe listeners that throw ${name}: every action still reaches the others; requests work`, async (t) => {
    const server = await serverFor(t);
    const seen = [];
    const { client } = await loggedInClient(t, server, { ttl: -60, dispatch: () => { throw value; } });
    client.subscribe(() => { throw value; });
    client.subscribe((a) => seen.push(a.type.replace('authlane/', '')));
    const rs = await settleAll([client.fetch('/api/a'), client.fetch('/api/b')]);
    assert.deepEqual(rs.map((r) => r.value?.status), [200, 200]);
    assert.deepEqual(seen, ['refreshStarted', 'refreshSucceeded']);
    await client.logout();
    assert.deepEqual(seen.at(-1), 'loggedOut');
    await moduleWorks(t, server);
    await assertNoUnhandled();
  });

  test(`dispatch and subscribe listeners that reject with ${name}: no unhandled rejection; requests work`, async (t) => {
    const server = await serverFor(t);
    const rejecting = async () => { throw value; };
    const { client } = await loggedInClient(t, server, { ttl: -60, dispatch: rejecting });
    client.subscribe(rejecting);
    const rs = await settleAll([client.fetch('/api/a'), client.fetch('/api/b')]);
    assert.deepEqual(rs.map((r) => r.value?.status), [200, 200]);
    await client.logout();
    await moduleWorks(t, server);
    await assertNoUnhandled();
  });
}

test('storage failing under getAccessToken(), refresh() and the auto-refresh timer: STORAGE_ERROR or nothing, never unhandled', async (t) => {
  const server = await serverFor(t);
  const value = Symbol('timer');
  const storage = failingStorage(true, value);
  const { client } = await loggedInClient(t, server, { ttl: 2, storage });
  storage.failing = true;
  storage.failOn = 'set';
  assertStorageError(await settlesWithin(client.refresh()), value, 'refresh()');
  server.expireAllAccessTokens();
  client.startAutoRefresh(); // the 2 s token is refreshed by the timer after ~1 s; the write fails
  await delay(1500);
  client.stopAutoRefresh();
  const token = await settlesWithin(client.getAccessToken());
  if ('error' in token) assertStorageError(token, value, 'getAccessToken()');
  storage.failing = false;
  assert.equal((await settlesWithin(client.fetch('/api/x'))).value?.status, 200, 'the client goes on');
  await assertNoUnhandled();
});
