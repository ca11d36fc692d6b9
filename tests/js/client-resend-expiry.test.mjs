// Found by the soak (tests/soak): a request rejected with an old token is sent again with the
// current one (API.md step 5) even when the client already knows, by its own clock, that the
// current one has expired too; that second send is rejected and the caller gets a 401 although
// the session is fine. Step 3 (refresh first when the token expires within the leeway) should
// hold for the resend as for the first send.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delay, loggedInClient, serverFor, settlesWithin } from '../support/harness.mjs';

test('a request rejected with an old token is not sent again with a token the client knows has expired', async (t) => {
  const server = await serverFor(t, { accessTtl: 2 }); // refreshed tokens live 2 s
  const { client } = await loggedInClient(t, server, { ttl: 300 });
  server.expireAllAccessTokens(); // the login token is now rejected
  // Slow: carries the login token, its 401 comes back after 3 s.
  const slow = settlesWithin(client.fetch('/api/slow?delay=3000'), 10000);
  await delay(100);
  // Fast: rejected at once, refreshes (a 2 s token), is sent again and succeeds.
  assert.equal((await settlesWithin(client.fetch('/api/fast'))).value?.status, 200);
  const refreshed = server.issued.at(-1);
  const r = await slow;
  // By the time the slow 401 arrives the refreshed token is past its exp, by the client's clock too.
  assert.ok(Date.now() > refreshed.exp * 1000, 'the scenario holds: the refreshed token has expired');
  const sends = server.apiLog('/api/slow');
  assert.equal(sends.length, 2, 'sent again once');
  assert.equal(sends[1].tokenState, 'valid', `the resend carried an ${sends[1].tokenState} token`);
  assert.equal(r.value?.status, 200);
});

test('a rejected response the caller never sees is let go: its body is cancelled before the resend', async (t) => {
  // Its body would otherwise hold a connection (undici) or memory until garbage collection,
  // for every rejected request of a storm. The API here refuses every token: the first 401
  // brings a refresh and a resend, whose 401 the caller gets, readable.
  const server = await serverFor(t);
  const cancelled = [];
  let n = 0;
  const denying = async (input, init) => {
    if (!String(input).endsWith('/api/denied')) return fetch(input, init);
    const number = ++n;
    const body = new ReadableStream({
      pull: (c) => { c.enqueue(new TextEncoder().encode(`denied #${number}`)); c.close(); },
      cancel: () => { cancelled.push(number); },
    }, { highWaterMark: 0 });
    return new Response(body, { status: 401 });
  };
  const { client } = await loggedInClient(t, server, { fetch: denying });
  const r = await settlesWithin(client.fetch('/api/denied'));
  assert.equal(server.refreshCalls, 1, 'the first 401 refreshed');
  assert.equal(r.value?.status, 401);
  assert.equal(await r.value.text(), 'denied #2', 'the caller reads the resend\'s answer');
  assert.deepEqual(cancelled, [1], 'the first answer, which nobody gets, was let go');
});
