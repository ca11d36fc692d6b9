// Self-checks of tests/support/server.mjs, so a failing client test points at the client, not at
// the server it talks to. Plain fetch, no authlane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { startAuthServer, startEchoServer } from '../support/server.mjs';

const post = (url, body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const bearer = (t) => ({ authorization: `Bearer ${t}` });

async function withServer(t, options) {
  const server = await startAuthServer(options);
  t.after(() => server.close());
  return server;
}

test('login, api access, claims and CORS', async (t) => {
  const server = await withServer(t);
  assert.equal((await post(`${server.url}/login`, { username: 'ann', password: 'nope' })).status, 401);
  const res = await post(`${server.url}/login`, { username: 'ann', password: 'password' });
  assert.equal(res.status, 200);
  const { accessToken, refreshToken } = await res.json();
  const claims = decodeJwt(accessToken);
  assert.equal(claims.sub, 'ann');
  assert.equal(claims.exp - claims.iat, 300);
  assert.equal(typeof claims.jti, 'string');
  assert.match(refreshToken, /^rt_/);
  const ok = await fetch(`${server.url}/api/me?x=1`, { method: 'PUT', headers: bearer(accessToken), body: 'hello' });
  assert.equal(ok.status, 200);
  assert.deepEqual(await ok.json(), { path: '/api/me', method: 'PUT', sub: 'ann', auth: `Bearer ${accessToken}`, body: 'hello' });
  assert.equal(ok.headers.get('access-control-allow-origin'), '*');
  assert.match(ok.headers.get('access-control-expose-headers'), /Date/);
  assert.equal((await fetch(`${server.url}/api/me`)).status, 401);
  assert.equal((await fetch(`${server.url}/api/me`, { headers: bearer('junk') })).status, 401);
  const pre = await fetch(`${server.url}/api/me`, { method: 'OPTIONS', headers: { origin: 'http://a.test', 'access-control-request-headers': 'x-custom' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'http://a.test');
  assert.match(pre.headers.get('access-control-allow-headers'), /Authorization.*x-custom/);
  assert.equal(server.apiCalls, 3, "preflights are not counted");
  assert.deepEqual(server.log.map((r) => r.path), ['/login', '/login', '/api/me', '/api/me', '/api/me']);
});

test('expired, revoked and 403 tokens; refresh with rotation and reuse detection', async (t) => {
  const server = await withServer(t);
  const expired = await server.issueTokens({ ttl: -10 });
  assert.equal((await fetch(`${server.url}/api/x`, { headers: bearer(expired.accessToken) })).status, 401);
  assert.equal(server.log.at(-1).tokenState, 'expired');
  const live = await server.issueTokens();
  assert.equal((await fetch(`${server.url}/api/x`, { headers: bearer(live.accessToken) })).status, 200);
  server.expireAllAccessTokens();
  assert.equal((await fetch(`${server.url}/api/x`, { headers: bearer(live.accessToken) })).status, 401);
  assert.equal(server.log.at(-1).tokenState, 'revoked');
  server.setApiRejectStatus(403);
  assert.equal((await fetch(`${server.url}/api/x`, { headers: bearer(live.accessToken) })).status, 403);

  const r1 = await post(`${server.url}/refresh`, { refreshToken: live.refreshToken });
  assert.equal(r1.status, 200);
  const next = await r1.json();
  assert.ok(next.accessToken && next.refreshToken && next.refreshToken !== live.refreshToken);
  assert.equal((await fetch(`${server.url}/api/x`, { headers: bearer(next.accessToken) })).status, 200);
  // Reuse of the rotated token revokes the family, the new refresh token included.
  assert.equal((await post(`${server.url}/refresh`, { refreshToken: live.refreshToken })).status, 401);
  assert.equal(server.reuseDetected, 1);
  assert.equal((await post(`${server.url}/refresh`, { refreshToken: next.refreshToken })).status, 401);
  assert.equal((await post(`${server.url}/refresh`, { refreshToken: 'rt_unknown' })).status, 401);
  assert.equal((await post(`${server.url}/refresh`, {})).status, 401);
  assert.equal(server.refreshCalls, 5);
  assert.equal(server.refreshLog()[0].body, JSON.stringify({ refreshToken: live.refreshToken }));
});

test('refresh without rotation keeps the refresh token; the boilerplate shape', async (t) => {
  const server = await withServer(t, { rotation: false });
  const pair = await server.issueTokens();
  for (let i = 0; i < 2; i++) {
    const body = await (await post(`${server.url}/refresh`, { refreshToken: pair.refreshToken })).json();
    assert.ok(body.accessToken);
    assert.equal(body.refreshToken, undefined);
  }
  server.setRefreshShape('boilerplate');
  const body = await (await post(`${server.url}/refresh`, { refreshToken: pair.refreshToken })).json();
  assert.equal(body.success, true);
  assert.equal(decodeJwt(body.authToken).sub, 'user-1');
});

test('failRefresh modes, counts and recovery', async (t) => {
  const server = await withServer(t);
  const pair = await server.issueTokens();
  const refresh = () => post(`${server.url}/refresh`, { refreshToken: pair.refreshToken });
  for (const status of [500, 502, 503, 429, 400, 401, 403]) {
    server.failRefresh(status, 1);
    assert.equal((await refresh()).status, status);
  }
  server.failRefresh('garbage', 1);
  const g = await refresh();
  assert.equal(g.status, 200);
  await assert.rejects(g.json());
  server.failRefresh('empty', 1);
  assert.deepEqual(await (await refresh()).json(), {});
  server.failRefresh('reset', 1);
  await assert.rejects(refresh());
  server.failRefresh('timeout');
  const hung = await Promise.race([refresh().then(() => 'answered', () => 'failed'), new Promise((r) => setTimeout(() => r('hung'), 200))]);
  assert.equal(hung, 'hung');
  server.failRefresh(null);
  assert.equal((await refresh()).status, 200, 'the token was not burnt by failures');
  assert.throws(() => server.failRefresh('nope'));
  // close() must not wait for the hung request (node --test would hang).
});

test('setRefreshDelay, clock offset on iat/exp and Date, issueTokens with a ttl, reset', async (t) => {
  const server = await withServer(t);
  server.setClockOffset(600);
  const pair = await server.issueTokens({ ttl: 30 });
  const claims = decodeJwt(pair.accessToken);
  assert.ok(Math.abs(claims.iat - (Date.now() / 1000 + 600)) < 3);
  const res = await fetch(`${server.url}/api/x`, { headers: bearer(pair.accessToken) });
  assert.equal(res.status, 200);
  assert.ok(Math.abs(Date.parse(res.headers.get('date')) - (Date.now() + 600_000)) < 3000);
  server.setClockOffset(0);
  // Valid for the shifted clock's own 30 s, so by the real clock it expires in the future: 630 s.
  assert.equal((await fetch(`${server.url}/api/x`, { headers: bearer(pair.accessToken) })).status, 200);
  server.setClockOffset(-600);
  const behind = await server.issueTokens({ ttl: 30 });
  server.setClockOffset(0);
  assert.equal((await fetch(`${server.url}/api/x`, { headers: bearer(behind.accessToken) })).status, 401, 'expired by the real clock');
  server.setRefreshDelay(150);
  const t0 = Date.now();
  await post(`${server.url}/refresh`, { refreshToken: pair.refreshToken });
  assert.ok(Date.now() - t0 >= 140);
  server.reset();
  assert.deepEqual([server.refreshCalls, server.apiCalls, server.log.length], [0, 0, 0]);
});

test('redirect and the echo server', async (t) => {
  const server = await withServer(t);
  const other = await startEchoServer();
  t.after(() => other.close());
  const res = await fetch(`${server.url}/api/redirect?to=${encodeURIComponent(other.url + '/landing')}`, { redirect: 'manual' });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get('location'), other.url + '/landing');
  assert.equal((await fetch(`${other.url}/x`, { headers: { 'x-a': '1' } })).status, 200);
  assert.equal(other.seen[0].headers['x-a'], '1');
  assert.equal(other.sawNoAuth(), true);
  await fetch(`${other.url}/y`, { headers: { authorization: 'Bearer z' } });
  assert.equal(other.sawNoAuth(), false);
});
