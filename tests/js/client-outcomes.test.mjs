// Every row of API.md's "Outcomes of a refresh" over real HTTP: new tokens, definitive
// (400/401/403, no refresh token), transient (5xx, 429, timeout, reset) after retries, unusable 2xx;
// refreshRetry attempt counts, refreshTimeoutMs, and the next request trying again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION, isAuthlaneError } from 'authlane';
import {
  KEYS, assertAll, assertNoTokens, clientFor, countOf, loggedInClient, newest, serverFor,
  settleAll, settlesWithin, typesSinceLogin,
} from '../support/harness.mjs';

const stored = (storage) => KEYS.map((k) => storage.getItem(k));

for (const status of [400, 401, 403]) {
  for (const how of ['proactive', 'reactive']) {
    test(`definitive ${status} (${how}): all held requests reject SESSION_EXPIRED, tokens removed, sessionExpired once`, async (t) => {
      const server = await serverFor(t);
      const { client, actions, storage } = await loggedInClient(t, server, { ttl: how === 'proactive' ? -60 : 300 });
      if (how === 'reactive') server.expireAllAccessTokens();
      server.failRefresh(status);
      const results = await settleAll(Array.from({ length: 5 }, (_, i) => client.fetch(`/api/d/${i}`)));
      assertAll(results, 'SESSION_EXPIRED');
      assert.ok(results.every((r) => isAuthlaneError(r.error) && r.error.name === 'AuthlaneError' && r.error.message.length > 0));
      assert.equal(server.refreshCalls, 1, 'a definitive answer is not retried');
      assert.equal(server.apiLog().length, how === 'proactive' ? 0 : 5, 'held requests are never sent after the failure');
      assert.deepEqual(stored(storage), [null, null]);
      assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshFailed', 'sessionExpired']);
      const [, failed, expired] = actions.slice(-3);
      assert.equal(failed.payload.code, 'SESSION_EXPIRED');
      assert.equal(failed.payload.transient, false);
      assert.equal(typeof failed.payload.message, 'string');
      assert.deepEqual(expired.payload, { code: 'SESSION_EXPIRED', reason: 'refresh_rejected' });
      assert.deepEqual(client.session(), { authenticated: false, claims: null, expiresAt: null });
      // No session any more: the next request goes out bare and comes back as it is.
      server.failRefresh(null);
      const after = await settlesWithin(client.fetch('/api/after'));
      assert.equal(after.value?.status, 401);
      assert.equal(server.log.at(-1).auth, null);
      assert.equal(server.refreshCalls, 1);
      assert.equal(countOf(actions, 'sessionExpired'), 1);
      assertNoTokens([actions, results.map((r) => r.error)], server);
    });
  }
}

test('definitive: a refresh token the server no longer accepts (revoked family) ends the session', async (t) => {
  const server = await serverFor(t);
  const { client, storage, tokens } = await loggedInClient(t, server, { ttl: -60 });
  // Someone else used (and rotated) this refresh token: our use is a reuse.
  await fetch(`${server.url}/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: tokens.refreshToken }) });
  const r = await settlesWithin(client.fetch('/api/x'));
  assert.equal(r.error?.code, 'SESSION_EXPIRED');
  assert.equal(server.reuseDetected, 1);
  assert.deepEqual(stored(storage), [null, null]);
});

test('definitive: an expired access token and no refresh token stored rejects SESSION_EXPIRED without a refresh call', async (t) => {
  const server = await serverFor(t);
  const { client, actions, storage } = await clientFor(t, server);
  const { accessToken } = await server.issueTokens({ ttl: -60 });
  await client.login({ accessToken });
  const results = await settleAll([client.fetch('/api/a'), client.fetch('/api/b')]);
  assertAll(results, 'SESSION_EXPIRED');
  assert.equal(server.refreshCalls, 0);
  assert.equal(server.apiLog().length, 0, 'an expired token is never sent');
  assert.deepEqual(stored(storage), [null, null]);
  assert.equal(countOf(actions, 'sessionExpired'), 1);
  assert.equal(typesSinceLogin(actions).at(-1), 'sessionExpired');
  assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshFailed', 'sessionExpired'], 'the row of the table');
});

for (const mode of [500, 502, 503, 429, 'timeout', 'reset']) {
  test(`transient ${mode}: retried up to refreshRetry.attempts, then REFRESH_FAILED; tokens kept; the next request tries again and succeeds`, async (t) => {
    const server = await serverFor(t);
    const { client, actions, storage, tokens } = await loggedInClient(t, server, { ttl: -60, refreshTimeoutMs: 250 });
    server.failRefresh(mode);
    const results = await settleAll(Array.from({ length: 4 }, (_, i) => client.fetch(`/api/t/${i}`)));
    assertAll(results, 'REFRESH_FAILED');
    assert.equal(server.refreshCalls, 3, 'attempts: 3 counts every call, the first included');
    assert.equal(server.apiLog().length, 0);
    assert.deepEqual(stored(storage), [tokens.accessToken, tokens.refreshToken], 'tokens kept');
    assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshFailed']);
    assert.equal(actions.at(-1).payload.code, 'REFRESH_FAILED');
    assert.equal(actions.at(-1).payload.transient, true);
    assert.equal(client.session().authenticated, true);
    // Still failing: the next request starts a new refresh (it does not reuse the old failure).
    const again = await settlesWithin(client.fetch('/api/t/again'));
    assert.equal(again.error?.code, 'REFRESH_FAILED');
    assert.equal(server.refreshCalls, 6);
    // The server recovers.
    server.failRefresh(null);
    const ok = await settlesWithin(client.fetch('/api/t/ok'));
    assert.equal(ok.value?.status, 200);
    assert.equal(server.refreshCalls, 7);
    assert.equal(server.log.at(-1).auth, `Bearer ${newest(server).accessToken}`);
    assert.equal(countOf(actions, 'sessionExpired'), 0);
    assertNoTokens([actions, results.map((r) => r.error)], server);
  });
}

test('transient then success within the retries: the held requests succeed after one refreshStarted', async (t) => {
  const server = await serverFor(t);
  const { client, actions } = await loggedInClient(t, server, { ttl: -60 });
  server.failRefresh(503, 2);
  const results = await settleAll(Array.from({ length: 5 }, () => client.fetch('/api/x')));
  assertAll(results, 200);
  assert.equal(server.refreshCalls, 3);
  assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshSucceeded']);
});

for (const mode of ['garbage', 'empty']) {
  test(`unusable 2xx (${mode}): BAD_REFRESH_RESPONSE, tokens kept, the next request tries again`, async (t) => {
    const server = await serverFor(t);
    const { client, actions, storage, tokens } = await loggedInClient(t, server, { ttl: -60 });
    server.failRefresh(mode, 1);
    const results = await settleAll(Array.from({ length: 3 }, () => client.fetch('/api/x')));
    assertAll(results, 'BAD_REFRESH_RESPONSE');
    assert.equal(server.refreshCalls, 1, 'not a transient failure: not retried');
    assert.deepEqual(stored(storage), [tokens.accessToken, tokens.refreshToken]);
    assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshFailed']);
    assert.equal(actions.at(-1).payload.code, 'BAD_REFRESH_RESPONSE');
    assert.equal(client.session().authenticated, true);
    assert.equal((await settlesWithin(client.fetch('/api/y'))).value?.status, 200);
    assert.equal(server.refreshCalls, 2);
  });
}

for (const attempts of [1, 2, 5]) {
  test(`refreshRetry.attempts = ${attempts}: the server gets exactly ${attempts} refresh calls`, async (t) => {
    const server = await serverFor(t);
    const { client } = await loggedInClient(t, server, { ttl: -60, refreshRetry: { attempts, baseDelayMs: 1, maxDelayMs: 5 } });
    server.failRefresh(502);
    assert.equal((await settlesWithin(client.fetch('/api/x'))).error?.code, 'REFRESH_FAILED');
    assert.equal(server.refreshCalls, attempts);
  });
}

test('refreshRetry.maxDelayMs caps the backoff (a huge baseDelayMs still retries within the cap)', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server, { ttl: -60, refreshRetry: { attempts: 3, baseDelayMs: 20_000, maxDelayMs: 100 } });
  server.failRefresh(500);
  const t0 = Date.now();
  assert.equal((await settlesWithin(client.fetch('/api/x'))).error?.code, 'REFRESH_FAILED');
  const elapsed = Date.now() - t0;
  assert.equal(server.refreshCalls, 3);
  assert.ok(elapsed < 1500, `two waits of at most 100 ms each (${elapsed} ms)`);
});

test('refreshTimeoutMs bounds each refresh attempt: a hung endpoint fails REFRESH_FAILED in time', async (t) => {
  const server = await serverFor(t);
  const { client, actions } = await loggedInClient(t, server, { ttl: -60, refreshTimeoutMs: 200, refreshRetry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 } });
  server.failRefresh('timeout');
  const t0 = Date.now();
  const r = await settlesWithin(client.fetch('/api/x'), 3000);
  const elapsed = Date.now() - t0;
  assert.equal(r.error?.code, 'REFRESH_FAILED');
  assert.equal(server.refreshCalls, 2);
  assert.ok(elapsed >= 380 && elapsed < 1500, `two attempts of ~200 ms (${elapsed} ms)`);
  assert.equal(actions.at(-1).type, ACTION.refreshFailed);
  assert.equal(actions.at(-1).payload.transient, true);
});
