// API.md "Revocation on logout" (RFC 7009) against oidc-provider: `revoke: { url }` makes
// logout() send the refresh token to the revocation endpoint (form, token_type_hint=refresh_token,
// the client's authentication) and resolve { revoked: true }; the provider really revoked it (a
// later refresh with it fails). An endpoint that is down, hangs or answers 503: { revoked: false },
// logout() still resolves, within refreshTimeoutMs, never retried; the session ended locally first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startOidc } from './support/oidc.mjs';
import {
  ACCESS, REFRESH, oauthClient, settlesWithin, countOf, typesOf, sameToken,
} from './support/clients.mjs';

/** A revocation endpoint that misbehaves: 'hang' never answers, a number answers that status.
 *  `onRequest` runs when a request arrives (before any answer). */
async function badEndpoint(t, behaviour, onRequest = () => {}) {
  const held = new Set();
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method, at: Date.now() });
    onRequest();
    req.resume();
    if (behaviour === 'hang') { held.add(res); return; }
    res.writeHead(behaviour, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'temporarily_unavailable' }));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => {
    for (const res of held) res.destroy();
    server.closeAllConnections?.();
    server.close(() => resolve());
  }));
  return { url: `http://127.0.0.1:${server.address().port}/revoke`, seen };
}

/** A URL on a port nothing listens on any more (connection refused). */
async function deadUrl() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}/revoke`;
  await new Promise((resolve) => server.close(resolve));
  return url;
}

function assertLoggedOutLocally({ client, storage, actions }) {
  assert.equal(storage.items.get(ACCESS), undefined);
  assert.equal(storage.items.get(REFRESH), undefined);
  assert.equal(client.session().authenticated, false);
  assert.equal(countOf(actions, 'loggedOut'), 1, `loggedOut once (actions: ${typesOf(actions).join(', ')})`);
  assert.equal(countOf(actions, 'sessionExpired'), 0);
}

for (const name of ['public', 'basic', 'post']) {
  test(`logout() with revoke: { url } revokes the refresh token at the provider (${name} client) and resolves { revoked: true }`, async (t) => {
    const oidc = await startOidc();
    t.after(() => oidc.close());
    const response = await oidc.login(name);
    const { clientId, clientSecret } = oidc.clients[name];
    const s = await oauthClient(t, oidc, name, { revoke: { url: oidc.revocationEndpoint } });
    await s.client.login(response);

    const result = await settlesWithin(s.client.logout(), 5000, 'logout()');
    assert.ok('value' in result, `logout() rejected: ${result.error?.code ?? result.error?.name}`);
    assert.deepEqual(result.value, { revoked: true });
    assertLoggedOutLocally(s);

    assert.equal(oidc.revocationLog.length, 1, 'one revocation call');
    const [call] = oidc.revocationLog;
    assert.equal(call.status, 200);
    assert.match(call.contentType ?? '', /^application\/x-www-form-urlencoded/);
    sameToken(call.form.token, response.refresh_token, 'the refresh token is what gets revoked');
    assert.equal(call.tokenTypeHint, 'refresh_token');
    if (name === 'public') {
      assert.equal(call.form.client_id, clientId);
      assert.equal(call.basic, null);
    } else if (name === 'basic') {
      assert.equal(call.basic, clientId, 'the same client authentication as the refresh');
      assert.equal(call.form.client_secret, undefined);
    } else {
      assert.equal(call.basic, null);
      assert.equal(call.form.client_id, clientId);
      sameToken(call.form.client_secret, clientSecret, 'client_secret in the body');
    }

    // The provider really revoked it: the refresh token no longer works.
    assert.equal(await oidc.refreshTokenActive(response.refresh_token), false);
    const later = await oidc.refreshDirect(response.refresh_token, name);
    assert.equal(later.status, 400);
    assert.equal(later.body?.error, 'invalid_grant');
    assert.ok(oidc.grantsRevoked >= 1, 'the grant is gone');
    assert.equal(oidc.tokenCalls('refresh_token', clientId).length, 1, 'only the check above refreshed');
  });
}

test('logout() with a revocation endpoint that is down resolves { revoked: false }; the session ends locally anyway', async (t) => {
  const oidc = await startOidc();
  t.after(() => oidc.close());
  const response = await oidc.login('public');
  const s = await oauthClient(t, oidc, 'public', { revoke: { url: await deadUrl() } });
  await s.client.login(response);
  const result = await settlesWithin(s.client.logout(), 5000, 'logout()');
  assert.ok('value' in result, `logout() rejected: ${result.error?.code ?? result.error?.name}`);
  assert.deepEqual(result.value, { revoked: false });
  assertLoggedOutLocally(s);
  assert.equal(await oidc.refreshTokenActive(response.refresh_token), true, 'nothing was revoked');
});

test('logout() with a revocation endpoint that hangs: local state cleared before it is called, bounded by refreshTimeoutMs, { revoked: false }', async (t) => {
  const oidc = await startOidc();
  t.after(() => oidc.close());
  const response = await oidc.login('public');
  let s;
  let atArrival = null;
  const endpoint = await badEndpoint(t, 'hang', () => {
    atArrival = {
      storedKeys: [...s.storage.items.keys()],
      authenticated: s.client.session().authenticated,
      loggedOut: countOf(s.actions, 'loggedOut'),
    };
  });
  s = await oauthClient(t, oidc, 'public', { revoke: { url: endpoint.url }, refreshTimeoutMs: 400 });
  await s.client.login(response);
  const started = Date.now();
  const result = await settlesWithin(s.client.logout(), 5000, 'logout()');
  const took = Date.now() - started;
  assert.ok('value' in result, `logout() rejected: ${result.error?.code ?? result.error?.name}`);
  assert.deepEqual(result.value, { revoked: false });
  assert.ok(took >= 300 && took < 2500, `bounded by refreshTimeoutMs (400 ms): took ${took} ms`);
  assert.equal(endpoint.seen.length, 1, 'never retried');
  assert.deepEqual(atArrival, { storedKeys: [], authenticated: false, loggedOut: 1 }, 'the session ended locally before the revocation was sent');
  assertLoggedOutLocally(s);
});

test('logout() with a revocation endpoint answering 503 resolves { revoked: false } after one call', async (t) => {
  const oidc = await startOidc();
  t.after(() => oidc.close());
  const response = await oidc.login('public');
  const endpoint = await badEndpoint(t, 503);
  const s = await oauthClient(t, oidc, 'public', { revoke: { url: endpoint.url } });
  await s.client.login(response);
  const result = await settlesWithin(s.client.logout(), 5000, 'logout()');
  assert.ok('value' in result, `logout() rejected: ${result.error?.code ?? result.error?.name}`);
  assert.deepEqual(result.value, { revoked: false });
  assert.equal(endpoint.seen.length, 1, 'a revocation is never retried');
  assertLoggedOutLocally(s);
});
