// The fast path (issue 17): while a token is fresh, a request goes out under the core's lease
// without asking the core, and a path-absolute URL resolves in the shell. What a user sees must
// not change: every case where the core would decide differently (the token due, a refresh in
// flight, a logout, new tokens from another client, another origin) still goes its way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, memoryStorage } from 'authlane';
import { authsFor, clientFor, delay, loggedInClient, serverFor, settlesWithin } from '../support/harness.mjs';

const bearer = (tokens) => `Bearer ${tokens.accessToken}`;

test('a token that becomes due under the lease is refreshed before the next send', async (t) => {
  const server = await serverFor(t);
  let clock = Date.now();
  const { client, tokens } = await loggedInClient(t, server, { ttl: 120, now: () => clock });
  for (let i = 0; i < 3; i++) assert.equal((await client.fetch('/api/a')).status, 200);
  assert.deepEqual(authsFor(server, '/api/a'), Array(3).fill(bearer(tokens)));
  clock += 61_000; // 120 s token: due from 60 s on (the leeway is capped at half its life)
  assert.equal((await client.fetch('/api/b')).status, 200);
  assert.equal(server.refreshCalls, 1, 'refreshed before the send');
  assert.deepEqual(authsFor(server, '/api/b'), [bearer(server.issued.at(-1))]);
});

test('a refresh in flight holds requests that the lease would have sent', async (t) => {
  const server = await serverFor(t);
  const { client, tokens } = await loggedInClient(t, server);
  await client.fetch('/api/warm');
  await client.fetch('/api/warm');
  server.setRefreshDelay(150);
  const refreshed = client.refresh();
  await delay(20);
  const held = await settlesWithin(client.fetch('/api/held'));
  await refreshed;
  assert.equal(held.value.status, 200);
  const fresh = server.issued.at(-1);
  assert.notEqual(fresh.accessToken, tokens.accessToken);
  assert.deepEqual(authsFor(server, '/api/held'), [bearer(fresh)], 'sent once, after the refresh, with its token');
});

test('after logout no request carries the leased token', async (t) => {
  const server = await serverFor(t);
  const { client } = await loggedInClient(t, server);
  await client.fetch('/api/warm');
  await client.fetch('/api/warm');
  await client.logout();
  await client.fetch('/api/after');
  assert.deepEqual(authsFor(server, '/api/after'), [null]);
});

test('new tokens from another client on the storage replace the leased one at once', async (t) => {
  const server = await serverFor(t);
  const storage = memoryStorage();
  const first = await clientFor(t, server, { storage });
  const second = await clientFor(t, server, { storage });
  await first.client.login(await server.issueTokens());
  await delay(20);
  await second.client.fetch('/api/warm');
  await second.client.fetch('/api/warm');
  const next = await server.issueTokens({ sub: 'user-2' });
  await first.client.login(next);
  await delay(20);
  await second.client.fetch('/api/now');
  assert.deepEqual(authsFor(server, '/api/now'), [bearer(next)]);
});

test('URLs: each request goes where new URL(input, baseUrl) points, with the token only on its origins', async (t) => {
  const base = 'https://api.test/v1/';
  const seen = [];
  const fetch = async (url, init) => {
    seen.push({ url, auth: new Headers(init.headers).get('authorization') });
    return new Response('{}', { status: 200 });
  };
  const client = await createAuthClient({ baseUrl: base, refresh: async () => null, fetch });
  t.after(() => client.dispose());
  const tokens = { accessToken: 'header.payload.sig', refreshToken: 'rt' };
  await client.login(tokens);
  const inputs = [
    '/a', '/a/b?q=1&r=a:b@c#frag', '/', '/v1.2/x', '/a/../b', '/a/./b', '/%2e%2e/x', '/a b', "/x?q='1'",
    '/a^b', '//evil.test/x', '/\\evil.test/x', '/\t/evil.test/x', '/\n/evil.test/x', 'b/c', '../up',
    'https://api.test/abs', 'HTTPS://API.TEST/abs', 'https://api.test.evil.test/x', 'https://evil.test/x',
    'https://api.test:443/port', 'https://user@api.test/x',
  ];
  // Twice: the first round's first request takes the core's path and the lease, the rest go
  // under the lease (a path like /a resolves in the shell); each answer must be the same.
  for (const round of [1, 2]) {
    for (const input of inputs) {
      seen.length = 0;
      await client.fetch(input);
      const want = new URL(input, base);
      assert.equal(new URL(seen[0].url).href, want.href, `${input} (round ${round})`);
      const ours = want.origin === 'https://api.test';
      assert.equal(seen[0].auth, ours ? 'Bearer header.payload.sig' : null, `${input} (round ${round})`);
    }
  }
});

test('a restored session under the lease still learns the server clock from Date', async (t) => {
  // Why: a restored token's iat is not trusted for the clock, which learns from each response's
  // Date. Under the lease the core does not see the response; the shell must pass the Date on.
  let clock = Date.now();
  let serverAhead = 0;
  const jwt = (claims) => ['{"alg":"none"}', JSON.stringify(claims)].map((p) => Buffer.from(p).toString('base64url')).join('.') + '.sig';
  let issued = 0;
  const issue = () => jwt({ sub: 'u', jti: String(++issued), iat: Math.floor(clock / 1000) - 300, exp: Math.floor(clock / 1000) + 600 });
  const seen = [];
  let refreshes = 0;
  const options = {
    baseUrl: 'https://api.test/',
    now: () => clock,
    storage: memoryStorage(),
    refresh: async () => {
      refreshes += 1;
      return { accessToken: issue(), refreshToken: `rt${refreshes}` };
    },
    fetch: async (url, init) => {
      seen.push({ url, auth: new Headers(init.headers).get('authorization') });
      return new Response('{}', { status: 200, headers: { date: new Date(clock + serverAhead).toUTCString() } });
    },
  };
  const first = await createAuthClient(options);
  const restoredToken = issue();
  await first.login({ accessToken: restoredToken, refreshToken: 'rt0' });
  first.dispose();
  const client = await createAuthClient(options); // restores from storage
  t.after(() => client.dispose());
  await client.fetch('/a'); // the core sends it and grants the lease
  serverAhead = 20 * 60_000; // the server's Date: 20 minutes later than the device says
  await client.fetch('/b'); // under the lease: its Date tells the clock
  await client.fetch('/c');
  assert.deepEqual(seen.map((s) => s.auth), [`Bearer ${restoredToken}`, `Bearer ${restoredToken}`, seen[2].auth]);
  assert.equal(refreshes, 1, 'by the server clock the token is due: refreshed before /c');
  assert.notEqual(seen[2].auth, `Bearer ${restoredToken}`);
});
