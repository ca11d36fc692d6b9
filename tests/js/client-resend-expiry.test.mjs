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
