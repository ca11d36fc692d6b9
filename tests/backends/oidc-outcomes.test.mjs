// API.md "Outcomes of a refresh" with `grant: "oauth2"`, against oidc-provider:
// - invalid_grant (the grant revoked at the provider, or a refresh token already used) ends the
//   session: held requests reject SESSION_EXPIRED, tokens removed, refreshFailed { status: 400,
//   oauthError: 'invalid_grant' }, sessionExpired { reason: 'refresh_rejected' };
// - any other OAuth 2.0 error (a wrong client id or secret: invalid_client; a scope the grant
//   lacks: invalid_scope) is a configuration error: tokens kept, REFRESH_FAILED, one call (not
//   retried), refreshFailed { transient: false, oauthError }, no sessionExpired;
// - a rotation whose answer was lost (connection reset, or an answer later than refreshTimeoutMs):
//   the retry presents the used token, the provider answers invalid_grant, and the session ends
//   with reason 'lost_rotation'.
// The refresh is triggered the way an API triggers it: the provider forgets the (opaque) access
// token, the API's introspection says inactive, the API answers 401 invalid_token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOidc } from './support/oidc.mjs';
import {
  ACCESS, REFRESH, oauthClient, oauthRefresh, settleAll, assertAll, lastPayload, countOf, typesOf,
  sameToken,
} from './support/clients.mjs';

/** A provider, a first login for client `name`, an authlane client logged in with the response. */
async function session(t, name = 'public', options = {}) {
  const oidc = await startOidc({ accessTokenFormat: 'opaque' });
  t.after(() => oidc.close());
  const response = await oidc.login(name);
  const c = await oauthClient(t, oidc, name, typeof options === 'function' ? options(oidc) : options);
  await c.client.login(response);
  return { oidc, response, ...c };
}

/** The API stops accepting the access token (the provider dropped it; its refresh token lives
 *  on): the next request is a 401. */
const rejectAccessToken = (oidc, response) => oidc.dropAccessToken(response.access_token);

const burst = (client, n = 5) => settleAll(Array.from({ length: n }, (_, i) => client.fetch(`/api/data?i=${i}`)), 8000);

function assertSessionEnded({ client, storage, actions }, reason) {
  assert.equal(storage.items.get(ACCESS), undefined, 'the access token is removed');
  assert.equal(storage.items.get(REFRESH), undefined, 'the refresh token is removed');
  assert.equal(client.session().authenticated, false);
  assert.equal(countOf(actions, 'sessionExpired'), 1, `sessionExpired once (actions: ${typesOf(actions).join(', ')})`);
  const failed = lastPayload(actions, 'refreshFailed');
  assert.equal(failed?.code, 'SESSION_EXPIRED');
  assert.equal(failed?.status, 400, 'refreshFailed.status is the token endpoint\'s HTTP status');
  assert.equal(failed?.oauthError, 'invalid_grant', 'refreshFailed.oauthError is the OAuth 2.0 error');
  assert.deepEqual(lastPayload(actions, 'sessionExpired'), { code: 'SESSION_EXPIRED', reason });
}

test('invalid_grant: the grant revoked at the provider ends the session (reason refresh_rejected)', async (t) => {
  const s = await session(t);
  // An admin (or another device logging out) revokes the grant: refresh and access tokens die.
  assert.equal(await s.oidc.revokeDirect(s.response.refresh_token), 200);
  const results = await burst(s.client);
  assertAll(results, 'SESSION_EXPIRED');
  const calls = s.oidc.tokenCalls('refresh_token');
  assert.equal(calls.length, 1, 'one refresh call for the held requests, not retried');
  assert.equal(calls[0].error, 'invalid_grant');
  assertSessionEnded(s, 'refresh_rejected');
});

test('invalid_grant: a refresh token already used (rotated elsewhere) ends the session (reason refresh_rejected)', async (t) => {
  const s = await session(t);
  // Someone else used the refresh token first: the provider rotated it.
  const stolen = await s.oidc.refreshDirect(s.response.refresh_token);
  assert.equal(stolen.status, 200);
  await rejectAccessToken(s.oidc, s.response);
  const results = await burst(s.client);
  assertAll(results, 'SESSION_EXPIRED');
  const calls = s.oidc.tokenCalls('refresh_token');
  assert.equal(calls.length, 2, 'the direct refresh, then one by authlane');
  assert.equal(calls[1].status, 400);
  assert.equal(calls[1].error, 'invalid_grant');
  assert.ok(s.oidc.grantsRevoked >= 1, 'the provider saw the reuse and revoked the grant');
  assertSessionEnded(s, 'refresh_rejected');
});

const CONFIG_ERRORS = [
  { what: 'a wrong client id (public client)', name: 'public', refresh: { clientId: 'no-such-client' }, status: 401, error: 'invalid_client' },
  { what: 'a wrong client secret (client_secret_basic)', name: 'basic', refresh: { clientSecret: 'not-the-secret-0123456789' }, status: 401, error: 'invalid_client' },
  { what: 'a wrong client secret (client_secret_post)', name: 'post', refresh: { clientSecret: 'not-the-secret-0123456789' }, status: 401, error: 'invalid_client' },
  { what: 'a scope the grant does not have', name: 'public', refresh: { scope: 'openid api:admin' }, status: 400, error: 'invalid_scope' },
];

for (const c of CONFIG_ERRORS) {
  test(`configuration error: ${c.what} (${c.error}) keeps the tokens, rejects REFRESH_FAILED, is not retried`, async (t) => {
    const s = await session(t, c.name, (oidc) => ({ refresh: oauthRefresh(oidc, c.name, c.refresh) }));
    await rejectAccessToken(s.oidc, s.response);
    const results = await burst(s.client);
    assertAll(results, 'REFRESH_FAILED');
    const calls = s.oidc.tokenCalls('refresh_token');
    assert.equal(calls.length, 1, 'a configuration error is not retried (refreshRetry.attempts is 3)');
    assert.equal(calls[0].status, c.status);
    assert.equal(calls[0].error, c.error);

    sameToken(s.storage.items.get(ACCESS), s.response.access_token, 'the access token is kept');
    sameToken(s.storage.items.get(REFRESH), s.response.refresh_token, 'the refresh token is kept');
    assert.equal(s.client.session().authenticated, true);
    assert.equal(countOf(s.actions, 'sessionExpired'), 0, 'a configuration error never ends the session');
    const failed = lastPayload(s.actions, 'refreshFailed');
    assert.ok(failed, `refreshFailed dispatched (actions: ${typesOf(s.actions).join(', ')})`);
    assert.equal(failed.code, 'REFRESH_FAILED');
    assert.equal(failed.transient, false);
    assert.equal(failed.status, c.status);
    assert.equal(failed.oauthError, c.error);
    assert.equal(await s.oidc.refreshTokenActive(s.response.refresh_token), true, 'the provider still holds the session');

    // The next request tries again (and fails the same way): the failure is not sticky.
    const again = await burst(s.client, 1);
    assertAll(again, 'REFRESH_FAILED');
    assert.equal(s.oidc.tokenCalls('refresh_token').length, 2);
  });
}

for (const [mode, options] of [['reset', {}], ['delay', { refreshTimeoutMs: 500 }]]) {
  const how = mode === 'reset' ? 'the connection reset after the provider rotated' : 'the answer later than refreshTimeoutMs';
  test(`lost rotation (${how}): the retry presents the used token, invalid_grant, reason lost_rotation`, async (t) => {
    const s = await session(t, 'public', options);
    s.oidc.loseRefreshAnswers(mode, 1, 1500);
    await rejectAccessToken(s.oidc, s.response);
    const results = await burst(s.client, 3);
    assertAll(results, 'SESSION_EXPIRED');
    const calls = s.oidc.tokenCalls('refresh_token');
    assert.equal(calls.length, 2, 'the lost attempt and one retry');
    assert.equal(calls[0].status, 200, 'the provider rotated on the first attempt');
    sameToken(calls[1].form.refresh_token, s.response.refresh_token, 'the retry presents the same (now used) token');
    assert.equal(calls[1].error, 'invalid_grant');
    assertSessionEnded(s, 'lost_rotation');
  });
}
