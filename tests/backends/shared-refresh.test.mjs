// API.md "One refresh per storage, per app": two clients created in the same realm with the same
// storageKey and the same storage object (a double mount, hot reload, two modules that each make
// one) share their refreshes. Against oidc-provider with rotation, two refreshes would present the
// same refresh token and the second would be a reuse: the provider would revoke the grant.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOidc } from './support/oidc.mjs';
import { oauthClient, settleAll, assertAll, delay, countOf, spyStorage, sameToken } from './support/clients.mjs';

test('two clients on the same storage and storageKey: a burst through both with an expired token makes one refresh, both see the new token', async (t) => {
  const oidc = await startOidc({ accessTokenFormat: 'jwt', accessTtl: 1 });
  t.after(() => oidc.close());
  const storage = spyStorage();
  const storageKey = 'shared-app';
  const response = await oidc.login('public');
  const a = await oauthClient(t, oidc, 'public', { storage, storageKey });
  await a.client.login(response);
  const b = await oauthClient(t, oidc, 'public', { storage, storageKey }); // reads the session at start
  assert.equal(b.client.session().authenticated, true, 'the second client found the session in the shared storage');
  oidc.setAccessTtl(300);
  await delay(1300); // the login access token has expired

  const results = await settleAll([
    ...Array.from({ length: 5 }, (_, i) => a.client.fetch(`/api/data?from=a&i=${i}`)),
    ...Array.from({ length: 5 }, (_, i) => b.client.fetch(`/api/data?from=b&i=${i}`)),
  ], 8000);
  assertAll(results, 200);
  const calls = oidc.tokenCalls('refresh_token');
  assert.equal(calls.length, 1, `one refresh call between the two clients (statuses: ${calls.map((c) => `${c.status} ${c.error ?? ''}`).join(', ')})`);
  assert.equal(oidc.grantsRevoked, 0, 'no refresh token was presented twice');

  const fresh = oidc.newest(oidc.clients.public.clientId);
  sameToken(storage.items.get(`${storageKey}.refreshToken`), fresh.refreshToken, 'the rotated refresh token is stored');
  sameToken(storage.items.get(`${storageKey}.accessToken`), fresh.accessToken, 'the new access token is stored');
  const sent = oidc.apiLog.filter((r) => r.path === '/api/data' && r.status === 200);
  assert.equal(sent.filter((r) => r.auth === `Bearer ${fresh.accessToken}`).length, 10, 'both clients sent the new token');
  assert.equal(a.client.session().claims?.jti, b.client.session().claims?.jti, 'both sessions hold the same (new) token');
  assert.equal(a.client.session().expiresAt, b.client.session().expiresAt);
  assert.equal(countOf(a.actions, 'sessionExpired') + countOf(b.actions, 'sessionExpired'), 0);
});
