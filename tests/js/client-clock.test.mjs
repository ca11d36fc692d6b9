// The clock: a device clock 10 minutes off the server's (both ways) neither sends expired tokens
// nor refreshes in a loop; tokens that live shorter than the leeway; leewaySeconds; the now option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryStorage } from 'authlane';
import {
  assertAll, clientFor, loggedInClient, serverFor, settleAll, settlesWithin, typesSinceLogin,
} from '../support/harness.mjs';

/** `rounds` bursts of `size` concurrent requests; every one must answer 200. */
async function bursts(client, rounds = 5, size = 10, tag = 'b') {
  for (let i = 0; i < rounds; i++) {
    assertAll(await settleAll(Array.from({ length: size }, (_, j) => client.fetch(`/api/${tag}/${i}/${j}`))), 200, `burst ${i}`);
  }
}

const sentExpired = (server) => server.apiLog().filter((r) => r.tokenState !== 'valid').map((r) => `${r.path}: ${r.tokenState}`);
const skews = [[600, 'the server is 10 minutes ahead of the device'], [-600, 'the server is 10 minutes behind the device']];

for (const [offset, label] of skews) {
  test(`${label}: a fresh token is used as is, no refresh loop, no expired token sent`, async (t) => {
    const server = await serverFor(t);
    server.setClockOffset(offset);
    const { client } = await loggedInClient(t, server, { ttl: 300 });
    await bursts(client);
    assert.ok(server.refreshCalls <= 1, `at most one refresh per token lifetime (${server.refreshCalls})`);
    assert.deepEqual(sentExpired(server), []);
  });

  test(`${label}: a token expired by the server's clock is refreshed once, before sending, then no loop`, async (t) => {
    const server = await serverFor(t);
    server.setClockOffset(offset);
    const { client, actions } = await loggedInClient(t, server, { ttl: -60 });
    await bursts(client);
    assert.equal(server.refreshCalls, 1);
    assert.deepEqual(sentExpired(server), [], 'the token known (by the corrected clock) to be expired is never sent');
    assert.deepEqual(typesSinceLogin(actions), ['refreshStarted', 'refreshSucceeded']);
    assert.equal(actions.at(-2).payload.reason, 'expiring');
  });

  test(`${label}: short-lived tokens (20 s, under the 60 s leeway) are refreshed at most once per token`, async (t) => {
    const server = await serverFor(t, { accessTtl: 20 });
    server.setClockOffset(offset);
    const { client } = await loggedInClient(t, server, { ttl: 20 });
    for (let i = 0; i < 20; i++) assert.equal((await settlesWithin(client.fetch(`/api/s/${i}`))).value?.status, 200);
    await bursts(client, 3, 10);
    assert.ok(server.refreshCalls <= 1, `no refresh chain (${server.refreshCalls} refreshes)`);
    assert.deepEqual(sentExpired(server), []);
  });

  test(`${label}: a session restored from storage recovers without a loop`, async (t) => {
    const server = await serverFor(t);
    server.setClockOffset(offset);
    const storage = memoryStorage();
    const pair = await server.issueTokens({ ttl: -60 });
    storage.setItem('authlane.accessToken', pair.accessToken);
    storage.setItem('authlane.refreshToken', pair.refreshToken);
    const { client } = await clientFor(t, server, { storage });
    await bursts(client, 4, 10);
    assert.equal(server.refreshCalls, 1);
    assert.equal(server.reuseDetected, 0);
  });
}

test('a token with no time left under a 60 s leeway and a 20 s lifetime: expired is refreshed once, its successors are not', async (t) => {
  const server = await serverFor(t, { accessTtl: 20 });
  const { client } = await loggedInClient(t, server, { ttl: -1 });
  for (let i = 0; i < 15; i++) assert.equal((await settlesWithin(client.fetch(`/api/q/${i}`))).value?.status, 200);
  assert.equal(server.refreshCalls, 1);
  assert.deepEqual(sentExpired(server), []);
});

for (const [leewaySeconds, refreshes] of [[150, 1], [60, 0], [undefined, 0]]) {
  test(`leewaySeconds ${leewaySeconds ?? 'default (60)'}: a token with 140 s left is ${refreshes ? '' : 'not '}refreshed before sending`, async (t) => {
    const server = await serverFor(t);
    let fake = Date.now();
    const options = { ttl: 300, now: () => fake };
    if (leewaySeconds !== undefined) options.leewaySeconds = leewaySeconds;
    const { client, actions } = await loggedInClient(t, server, options);
    fake += 160_000;
    assert.equal((await settlesWithin(client.fetch('/api/l'))).value?.status, 200);
    assert.equal(server.refreshCalls, refreshes);
    assert.equal(typesSinceLogin(actions).length, refreshes * 2);
  });
}

test('the now option drives expiry decisions (leewaySeconds 60 and 0)', async (t) => {
  const server = await serverFor(t);
  let fake = Date.now();
  const { client, actions } = await loggedInClient(t, server, { ttl: 300, now: () => fake });
  assert.equal((await settlesWithin(client.fetch('/api/n/1'))).value?.status, 200);
  assert.equal(server.refreshCalls, 0);
  fake += 250_000; // 50 s left, inside the default 60 s leeway
  assert.equal((await settlesWithin(client.fetch('/api/n/2'))).value?.status, 200);
  assert.equal(server.refreshCalls, 1);
  assert.deepEqual(actions.at(-2).payload, { reason: 'expiring' });
  assert.equal((await settlesWithin(client.fetch('/api/n/3'))).value?.status, 200);
  assert.equal(server.refreshCalls, 1, 'the new token is not refreshed again');

  let fake0 = Date.now();
  const zero = await loggedInClient(t, server, { ttl: 300, now: () => fake0, leewaySeconds: 0 });
  assert.equal((await settlesWithin(zero.client.fetch('/api/z/1'))).value?.status, 200);
  fake0 += 290_000; // 10 s left, leeway 0: used as is
  assert.equal((await settlesWithin(zero.client.fetch('/api/z/2'))).value?.status, 200);
  assert.equal(server.refreshCalls, 1);
  fake0 += 20_000; // expired by the client's clock
  assert.equal((await settlesWithin(zero.client.fetch('/api/z/3'))).value?.status, 200);
  assert.equal(server.refreshCalls, 2);
  assert.deepEqual(sentExpired(server), []);
});

// Issue 31: once a token issued in the session had set the clock from its iat, Date headers were
// ignored: a device that was ahead and is set back (by NTP) kept the old offset, so tokens looked
// valid for up to the old skew after they expired and went out expired until a 401. Our clock
// tests skewed the server or the device, never moved the device's clock during a session.
test('a device clock set back by 10 minutes mid-session: the next expiry is seen by the corrected clock, before sending', async (t) => {
  const server = await serverFor(t);
  let deviceAhead = 600_000; // the device starts 10 minutes ahead of the server (and of real time)
  let elapsed = 0; // device time the test lets pass without waiting for it
  const now = () => Date.now() + deviceAhead + elapsed;
  const { client, actions } = await loggedInClient(t, server, { ttl: 300, now });
  // NTP sets the device right. Two responses, a second apart on the device, carry the server's
  // Date (a single response's Date could be a cached one and is not trusted alone).
  deviceAhead = 0;
  for (const path of ['/api/ntp/1', '/api/ntp/2', '/api/ntp/3']) {
    assert.equal((await settlesWithin(client.fetch(path))).value?.status, 200);
    elapsed += 1100;
  }
  // Five minutes pass, on both clocks: the token expired at the server.
  server.setClockOffset(300);
  elapsed += 300_000;
  server.reset();
  const r = await settlesWithin(client.fetch('/api/after'));
  assert.equal(r.value?.status, 200);
  assert.deepEqual(sentExpired(server), [], 'the expired token is not sent: the corrected clock knows it is due');
  assert.equal(server.refreshCalls, 1);
  assert.equal(actions.filter((a) => a.type === 'authlane/refreshStarted').at(-1)?.payload.reason, 'expiring');
});
