// The origin allowlist: other origins never see the token, are never held and never refresh;
// redirects; an explicit allowedOrigins; the refresh call's own request; the header option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAll, clientFor, echoFor, loggedInClient, newest, serverFor, settleAll, settlesWithin,
  typesSinceLogin,
} from '../support/harness.mjs';

test('another origin gets no Authorization header, even with an expired token, and triggers no refresh', async (t) => {
  const [server, other] = [await serverFor(t), await echoFor(t)];
  const { client, actions } = await loggedInClient(t, server, { ttl: -60 });
  const rs = await settleAll([
    client.fetch(`${other.url}/x`),
    client.fetch(`${other.url}/y`, { method: 'POST', body: 'b', headers: { 'x-custom': '1' } }),
    client.fetch(new Request(`${other.url}/z`)),
  ]);
  assertAll(rs, 200);
  assert.deepEqual(await rs[0].value.json(), { other: true, path: '/x' });
  assert.equal(server.refreshCalls, 0);
  assert.deepEqual(typesSinceLogin(actions), []);
  assert.equal(other.seen.length, 3);
  assert.ok(other.sawNoAuth());
  const y = other.seen.find((r) => r.path === '/y');
  assert.equal(y.headers['x-custom'], '1');
  assert.equal(y.method, 'POST');
  assert.equal(y.body, 'b');
  // Own-origin requests afterwards do get the (refreshed) token.
  assert.equal((await settlesWithin(client.fetch('/api/own'))).value?.status, 200);
  assert.equal(server.log.at(-1).auth, `Bearer ${newest(server).accessToken}`);
  assert.ok(other.sawNoAuth());
});

test('a 401 from another origin is returned as is: no refresh, no session change', async (t) => {
  const [server, other] = [await serverFor(t), await echoFor(t)];
  const { client, actions } = await loggedInClient(t, server);
  const r = await settlesWithin(client.fetch(`${other.url}/secret?status=401`));
  assert.equal(r.value?.status, 401);
  assert.equal(server.refreshCalls, 0);
  assert.deepEqual(typesSinceLogin(actions), []);
  assert.equal(other.seen.length, 1, 'not resent');
});

test('requests to another origin are not held while a refresh is in flight', async (t) => {
  const [server, other] = [await serverFor(t), await echoFor(t)];
  server.setRefreshDelay(400);
  const { client } = await loggedInClient(t, server, { ttl: -60 });
  const own = settlesWithin(client.fetch('/api/own'));
  await new Promise((r) => setTimeout(r, 50));
  const t0 = Date.now();
  const foreign = await settlesWithin(client.fetch(`${other.url}/free`));
  assert.equal(foreign.value?.status, 200);
  assert.ok(Date.now() - t0 < 250, 'not held behind the refresh');
  assert.equal((await own).value?.status, 200);
  assert.ok(other.sawNoAuth());
});

test('a redirect from the API to another origin does not carry the token there', async (t) => {
  const [server, other] = [await serverFor(t), await echoFor(t)];
  const { client } = await loggedInClient(t, server);
  const r = await settlesWithin(client.fetch(`/api/redirect?to=${encodeURIComponent(`${other.url}/landing`)}`));
  assert.equal(r.value?.status, 200);
  assert.equal(other.seen.at(-1)?.path, '/landing');
  assert.ok(other.sawNoAuth());
});

test('allowedOrigins: listed origins get the token; the base URL is not implicitly added back', async (t) => {
  const [server, other] = [await serverFor(t), await echoFor(t)];
  const { client } = await loggedInClient(t, server, { allowedOrigins: [server.url, other.url] });
  assert.equal((await settlesWithin(client.fetch(`${other.url}/x`))).value?.status, 200);
  assert.equal(other.seen.at(-1).headers.authorization, `Bearer ${server.issued[0].accessToken}`);
  const only = await loggedInClient(t, server, { allowedOrigins: [other.url] });
  const r = await settlesWithin(only.client.fetch('/api/x'));
  assert.equal(r.value?.status, 401, 'the base URL origin is not in the list: sent bare');
  assert.equal(server.log.at(-1).auth, null);
});

test('same host, other port, other scheme: other origins', async (t) => {
  const [server, other] = [await serverFor(t), await echoFor(t)];
  const { client } = await loggedInClient(t, server, { allowedOrigins: [server.url] });
  const port = new URL(other.url).port;
  // other.url differs from server.url only by the port.
  assert.equal((await settlesWithin(client.fetch(`http://127.0.0.1:${port}/p`))).value?.status, 200);
  assert.ok(other.sawNoAuth());
});

test('the refresh call never carries the access token and is never held or refreshed itself', async (t) => {
  const server = await serverFor(t);
  const { client, tokens } = await loggedInClient(t, server, { ttl: -60 });
  assert.equal((await settlesWithin(client.fetch('/api/x'))).value?.status, 200);
  const [call] = server.refreshLog();
  assert.equal(call.method, 'POST');
  assert.equal(call.auth, null);
  assert.match(call.headers['content-type'], /^application\/json/);
  assert.deepEqual(JSON.parse(call.body), { refreshToken: tokens.refreshToken });
});

test('refresh endpoint options: headers and body are used; a 401 from the endpoint is not retried through the pipeline', async (t) => {
  const server = await serverFor(t);
  const refresh = {
    url: '/refresh',
    headers: { 'X-App': 'demo' },
    body: (rt) => ({ refreshToken: rt, device: 'test' }),
    parse: (json) => ({ accessToken: json.accessToken, refreshToken: json.refreshToken }),
  };
  const { client, tokens } = await loggedInClient(t, server, { ttl: -60, refresh });
  assert.equal((await settlesWithin(client.fetch('/api/x'))).value?.status, 200);
  const [call] = server.refreshLog();
  assert.equal(call.headers['x-app'], 'demo');
  assert.deepEqual(JSON.parse(call.body), { refreshToken: tokens.refreshToken, device: 'test' });
  server.expireAllAccessTokens();
  server.failRefresh(401);
  assert.equal((await settlesWithin(client.fetch('/api/y'))).error?.code, 'SESSION_EXPIRED');
  assert.equal(server.refreshCalls, 2, 'the rejected refresh call was not itself refreshed or resent');
});

test('an absolute refresh URL on another origin is called without the access token', async (t) => {
  const [server, other] = [await serverFor(t), await echoFor(t)];
  // The echo answers { other: true }: no access token, so BAD_REFRESH_RESPONSE; what matters is the header.
  const { client } = await loggedInClient(t, server, { ttl: -60, refresh: { url: `${other.url}/token` } });
  const r = await settlesWithin(client.fetch('/api/x'));
  assert.equal(r.error?.code, 'BAD_REFRESH_RESPONSE');
  assert.equal(other.seen.length, 1);
  assert.ok(other.sawNoAuth());
});

test('header option: another header name and scheme', async (t) => {
  const [server, other] = [await serverFor(t), await echoFor(t)];
  const { client } = await loggedInClient(t, server, { allowedOrigins: [other.url, server.url], header: { name: 'X-Auth', scheme: 'Token' } });
  assert.equal((await settlesWithin(client.fetch(`${other.url}/h`))).value?.status, 200);
  assert.equal(other.seen.at(-1).headers['x-auth'], `Token ${server.issued[0].accessToken}`);
  assert.equal(other.seen.at(-1).headers.authorization, undefined);
});

test('relative URLs resolve against baseUrl with a path', async (t) => {
  const server = await serverFor(t);
  const { client } = await clientFor(t, server, { baseUrl: `${server.url}/api/v1/` });
  await client.login(await server.issueTokens());
  assert.equal((await settlesWithin(client.fetch('users?id=1'))).value?.status, 200);
  assert.equal(server.log.at(-1).url, '/api/v1/users?id=1');
  assert.ok(server.log.at(-1).auth);
});
