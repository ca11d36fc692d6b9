// API.md "No refresh storms", against oidc-provider and its API:
// - an endpoint that refuses every token (always 401): a burst costs one refresh, the second
//   rejections come back as responses; within refreshCooldownMs further bursts start no refresh;
//   after it, one more at most;
// - `WWW-Authenticate: Bearer error="insufficient_scope"` (on a 401, or a 403 in refreshOn) never
//   starts a refresh;
// - but a token the provider really stopped accepting, even one a refresh issued a moment ago,
//   is refreshed at its first rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOidc } from './support/oidc.mjs';
import { oauthClient, settleAll, assertAll, delay, countOf, typesOf } from './support/clients.mjs';

const burst = (client, path, n = 10) => settleAll(Array.from({ length: n }, () => client.fetch(path)), 8000);

async function session(t, options = {}, format = 'jwt') {
  const oidc = await startOidc({ accessTokenFormat: format });
  t.after(() => oidc.close());
  const response = await oidc.login('public');
  const s = await oauthClient(t, oidc, 'public', options);
  await s.client.login(response);
  return { oidc, response, ...s, refreshes: () => oidc.tokenCalls('refresh_token').length };
}

test('an endpoint that refuses every token: one refresh per burst, none within refreshCooldownMs, one more at most after it', async (t) => {
  const cooldown = 600;
  const s = await session(t, { refreshCooldownMs: cooldown });
  const hits = () => s.oidc.apiLog.filter((r) => r.path === '/api/always401');

  const first = await burst(s.client, '/api/always401');
  const firstDone = Date.now();
  assertAll(first, 401, 'the second rejection is returned as the response it is:');
  assert.equal(s.refreshes(), 1, 'the first rejection of a token refreshes it, once for the burst');
  const fresh = s.oidc.newest(s.oidc.clients.public.clientId);
  assert.equal(hits().length, 20, 'each request sent twice: with the old token, then once with the new one');
  assert.equal(hits().filter((r) => r.auth === `Bearer ${fresh.accessToken}`).length, 10);

  const second = await burst(s.client, '/api/always401');
  assert.ok(Date.now() - firstDone < cooldown, 'the second burst ran within the cooldown (machine too slow?)');
  assertAll(second, 401);
  assert.equal(s.refreshes(), 1, 'within refreshCooldownMs the same token\'s rejections start no refresh');
  assert.equal(hits().length, 30, 'and are returned as they are, each sent once');

  const elsewhere = await burst(s.client, '/api/data', 3);
  assertAll(elsewhere, 200, 'the token is fine for an endpoint that accepts it');
  assert.equal(s.refreshes(), 1);

  await delay(cooldown + 150);
  const third = await burst(s.client, '/api/always401');
  assertAll(third, 401);
  assert.ok(s.refreshes() <= 2, `after the cooldown one more refresh at most (${s.refreshes() - 1} more)`);
  const fourth = await burst(s.client, '/api/always401');
  assertAll(fourth, 401);
  assert.ok(s.refreshes() <= 2, 'and then none again within the new cooldown');

  assert.equal(countOf(s.actions, 'sessionExpired'), 0, `the session lives on (actions: ${typesOf(s.actions).join(', ')})`);
  assert.equal(s.client.session().authenticated, true);
});

for (const [status, options] of [[401, {}], [403, { refreshOn: [401, 403] }]]) {
  test(`WWW-Authenticate: Bearer error="insufficient_scope" on a ${status}${options.refreshOn ? ' (refreshOn [401, 403])' : ''} never starts a refresh`, async (t) => {
    const s = await session(t, options);
    const results = await burst(s.client, `/api/scope?status=${status}`);
    assertAll(results, status);
    assert.equal(s.refreshes(), 0, 'a missing scope is not cured by a new token');
    const hits = s.oidc.apiLog.filter((r) => r.path === '/api/scope');
    assert.equal(hits.length, 10, 'each request sent once');
    assert.equal(countOf(s.actions, 'refreshStarted'), 0);
  });
}

test('a token the provider stopped accepting, issued by a refresh a moment ago, is refreshed at its first rejection', async (t) => {
  const s = await session(t, {}, 'opaque'); // default refreshCooldownMs (10 s)
  await s.client.refresh();
  assert.equal(s.refreshes(), 1);
  const justIssued = s.oidc.newest(s.oidc.clients.public.clientId);
  await s.oidc.dropAccessToken(justIssued.accessToken); // the provider forgets it (its refresh token lives on)

  const results = await burst(s.client, '/api/data', 5);
  assertAll(results, 200);
  assert.equal(s.refreshes(), 2, 'one refresh for the revoked token');
  const newer = s.oidc.newest(s.oidc.clients.public.clientId);
  const sent = s.oidc.apiLog.filter((r) => r.path === '/api/data');
  assert.equal(sent.filter((r) => r.auth === `Bearer ${newer.accessToken}` && r.status === 200).length, 5);
  assert.equal(countOf(s.actions, 'sessionExpired'), 0);
});
