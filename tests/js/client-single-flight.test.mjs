// One refresh for many callers, proactive (an expired JWT known before sending) and reactive (the
// server rejects a token with 401), for 2, 5 and 100 concurrent requests; which Authorization header
// every request carried; rotation on and off; getAccessToken() and refresh() joining one flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ACTION } from 'authlane';
import {
  KEYS, assertAll, assertNoTokens, clientFor, loggedInClient, newest, serverFor,
  settleAll, settlesWithin, typesSinceLogin,
} from '../support/harness.mjs';

for (const n of [2, 5, 100]) {
  test(`proactive, ${n} at once: an expired token makes exactly one refresh; each request is sent once, with the new token`, async (t) => {
    const server = await serverFor(t);
    const { client, actions, storage, tokens } = await loggedInClient(t, server, { ttl: -60 });
    const results = await settleAll(Array.from({ length: n }, (_, i) => client.fetch(`/api/p/${i}`)));
    assertAll(results, 200);
    assert.equal(server.refreshCalls, 1);
    const fresh = newest(server);
    for (let i = 0; i < n; i++) {
      const sent = server.log.filter((r) => r.path === `/api/p/${i}`);
      assert.equal(sent.length, 1, `request ${i} is held, never sent with the expired token`);
      assert.equal(sent[0].auth, `Bearer ${fresh.accessToken}`);
      assert.equal(sent[0].tokenState, 'valid');
    }
    assert.equal(server.refreshLog()[0].body, JSON.stringify({ refreshToken: tokens.refreshToken }));
    assert.equal(server.refreshLog()[0].auth, null, 'the refresh call carries no access token');
    // Echoed bodies prove the caller got the real response of the resend.
    const bodies = await Promise.all(results.slice(0, 3).map((r) => r.value.json()));
    assert.ok(bodies.every((b) => b.auth === `Bearer ${fresh.accessToken}`));
    assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshSucceeded']);
    const [started, succeeded] = actions.slice(-2);
    assert.deepEqual(started.payload, { reason: 'expiring' });
    assert.equal(succeeded.payload.rotated, true);
    assert.equal(succeeded.payload.claims.jti, fresh.jti);
    assert.equal(succeeded.payload.expiresAt, fresh.exp * 1000);
    assert.equal(storage.getItem(KEYS[0]), fresh.accessToken);
    assert.equal(storage.getItem(KEYS[1]), fresh.refreshToken);
    assert.equal(server.reuseDetected, 0);
    assertNoTokens(actions, server);
  });

  test(`reactive, ${n} at once: tokens the server rejects with 401 make exactly one refresh; each is resent once with the new token`, async (t) => {
    const server = await serverFor(t);
    const { client, actions, tokens } = await loggedInClient(t, server, { ttl: 300 });
    server.expireAllAccessTokens();
    const results = await settleAll(Array.from({ length: n }, (_, i) => client.fetch(`/api/r/${i}`)));
    assertAll(results, 200);
    assert.equal(server.refreshCalls, 1);
    const fresh = newest(server);
    for (let i = 0; i < n; i++) {
      const sent = server.log.filter((r) => r.path === `/api/r/${i}`).map((r) => r.auth);
      // Sent with the old token and then once more with the new one; a request that only left
      // after the refresh had started may have been held instead and sent once.
      const expected = sent.length === 2 ? [`Bearer ${tokens.accessToken}`, `Bearer ${fresh.accessToken}`] : [`Bearer ${fresh.accessToken}`];
      assert.deepEqual(sent, expected, `request ${i}`);
    }
    assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshSucceeded']);
    assert.deepEqual(actions.at(-2).payload, { reason: 'rejected' });
    assert.equal(server.reuseDetected, 0);
    assertNoTokens(actions, server);
  });
}

test('a 401 for a token that was already replaced is resent with the current token, without a second refresh', async (t) => {
  const server = await serverFor(t);
  const { client, tokens } = await loggedInClient(t, server);
  server.expireAllAccessTokens();
  // The slow request leaves with the old token, and its 401 comes back after another request refreshed.
  const slow = client.fetch('/api/slow?delay=300');
  await new Promise((r) => setTimeout(r, 50));
  const quick = await settlesWithin(client.fetch('/api/quick'));
  assert.equal(quick.value?.status, 200);
  const late = await settlesWithin(slow);
  assert.equal(late.value?.status, 200);
  assert.equal(server.refreshCalls, 1);
  assert.deepEqual(server.log.filter((r) => r.path === '/api/slow').map((r) => r.auth),
    [`Bearer ${tokens.accessToken}`, `Bearer ${newest(server).accessToken}`]);
});

test('a second rejection after the resend is returned to the caller as it is (sent at most twice)', async (t) => {
  const server = await serverFor(t);
  let calls = 0;
  // The refresh "succeeds" with a token this server does not accept: the resend is rejected too.
  const refresh = async () => { calls++; return { accessToken: 'opaque-not-accepted' }; };
  const { client, actions } = await loggedInClient(t, server, { refresh });
  server.expireAllAccessTokens();
  const r = await settlesWithin(client.fetch('/api/twice'));
  assert.equal(r.value?.status, 401, 'returned as is: not SESSION_EXPIRED, not a loop');
  assert.match((await r.value.json()).error, /access token/, 'the body is readable');
  assert.deepEqual(server.log.filter((x) => x.path === '/api/twice').map((x) => x.auth),
    [`Bearer ${server.issued[0].accessToken}`, 'Bearer opaque-not-accepted']);
  assert.equal(calls, 1);
  assert.equal(actions.filter((a) => a.type === ACTION.sessionExpired).length, 0);
  assert.equal(client.session().authenticated, true);
});

test('without rotation the refresh token is kept and reused; rotated is false', async (t) => {
  const server = await serverFor(t, { rotation: false });
  const { client, actions, storage, tokens } = await loggedInClient(t, server, { ttl: -60 });
  assert.equal((await settlesWithin(client.fetch('/api/a'))).value?.status, 200);
  assert.equal(storage.getItem(KEYS[1]), tokens.refreshToken);
  assert.equal(actions.at(-1).payload.rotated, false);
  server.expireAllAccessTokens();
  assert.equal((await settlesWithin(client.fetch('/api/b'))).value?.status, 200);
  assert.equal(server.refreshCalls, 2);
  assert.deepEqual(server.refreshLog().map((r) => JSON.parse(r.body).refreshToken), [tokens.refreshToken, tokens.refreshToken]);
});

test('with rotation, consecutive refreshes always use the latest refresh token (no reuse detected)', async (t) => {
  const server = await serverFor(t);
  const { client, storage } = await loggedInClient(t, server);
  for (let i = 0; i < 4; i++) {
    server.expireAllAccessTokens();
    const rs = await settleAll([client.fetch('/api/x'), client.fetch('/api/y')]);
    assertAll(rs, 200, `round ${i}`);
  }
  assert.equal(server.refreshCalls, 4);
  assert.equal(server.reuseDetected, 0);
  assert.ok(server.refreshTokenValid(storage.getItem(KEYS[1])));
});

test('getAccessToken(): refreshes first when needed (one refresh for concurrent callers), else returns the current token', async (t) => {
  const server = await serverFor(t);
  const { client, tokens } = await loggedInClient(t, server, { ttl: -60 });
  const got = await settleAll(Array.from({ length: 5 }, () => client.getAccessToken()));
  assert.equal(server.refreshCalls, 1);
  const fresh = newest(server).accessToken;
  assert.deepEqual([...new Set(got.map((r) => r.value))], [fresh]);
  assert.notEqual(fresh, tokens.accessToken);
  assert.equal((await settlesWithin(client.getAccessToken())).value, fresh);
  assert.equal(server.refreshCalls, 1, 'a valid token is returned without a refresh');
  await client.logout();
  assert.equal((await settlesWithin(client.getAccessToken())).value, null);
  assert.equal(server.refreshCalls, 1);
});

test('getAccessToken() is null with no session at all, without any request', async (t) => {
  const server = await serverFor(t);
  const { client } = await clientFor(t, server);
  assert.equal((await settlesWithin(client.getAccessToken())).value, null);
  assert.equal(server.log.length, 0);
});

test('refresh(): forces a refresh of a valid token (reason manual); concurrent calls and requests join one flight', async (t) => {
  const server = await serverFor(t);
  const { client, actions, tokens } = await loggedInClient(t, server);
  server.setRefreshDelay(150);
  const all = await settleAll([client.refresh(), client.refresh(), client.refresh()]);
  assert.ok(all.every((r) => !('error' in r)), JSON.stringify(all.map((r) => r.error?.code)));
  assert.equal(server.refreshCalls, 1);
  assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshSucceeded']);
  assert.deepEqual(actions.at(-2).payload, { reason: 'manual' });
  assert.notEqual(await client.getAccessToken(), tokens.accessToken);
  // A request-triggered refresh in flight is joined by refresh(), and the other way round.
  server.expireAllAccessTokens();
  const req = client.fetch('/api/j');
  await new Promise((r) => setTimeout(r, 50));
  const forced = client.refresh();
  const [a, b] = await settleAll([req, forced]);
  assert.equal(a.value?.status, 200);
  assert.ok(!('error' in b));
  assert.equal(server.refreshCalls, 2);
  server.setRefreshDelay(0);
});

test('refresh() with a definitive failure rejects SESSION_EXPIRED; with no session it rejects and sends nothing', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server);
  server.failRefresh(401);
  const r = await settlesWithin(client.refresh());
  assert.equal(r.error?.code, 'SESSION_EXPIRED');
  const none = await settlesWithin(client.refresh());
  assert.ok('error' in none, 'no refresh token: nothing to refresh');
  assert.equal(server.refreshCalls, 1);
});
