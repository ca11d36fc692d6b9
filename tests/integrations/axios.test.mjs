// axios 1.21 through authlane, as API.md documents it: axios.create({ adapter: 'fetch', env: { fetch:
// client.fetch } }), against the real auth server: one refresh for N concurrent expired requests,
// the same body and content type on a resent POST, an ended session as axios's error with the
// AuthlaneError as `cause`, axios's `signal` aborting one held request only.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import axios from 'axios';
import { createAuthClient, isAuthlaneError, isSessionError } from 'authlane';
import { startAuthServer } from '../support/server.mjs';
import { loggedIn, settle } from '../support/client.mjs';
import { sleep, waitFor } from './support.mjs';

let server;
const clients = [];
before(async () => { server = await startAuthServer(); });
after(async () => {
  for (const client of clients) client.dispose();
  await server.close();
});

/** The documented instance, on a client logged in with a token living `ttl` s. */
async function instance(options = {}) {
  const { client, tokens } = await loggedIn(server, options);
  clients.push(client);
  const api = axios.create({ baseURL: server.url, adapter: 'fetch', env: { fetch: client.fetch } });
  return { api, client, tokens };
}

const bearer = (token) => `Bearer ${token}`;

test('10 concurrent axios requests with an expired token: one refresh, each sent once with the new token', async () => {
  server.reset();
  const { api, tokens } = await instance({ ttl: -30 });
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => api.get(`/api/items/${i}`)));
  assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
  assert.deepEqual(results.map((r) => r.data.path), Array.from({ length: 10 }, (_, i) => `/api/items/${i}`));
  assert.equal(server.refreshCalls, 1);
  const sent = server.apiLog();
  assert.equal(sent.length, 10, 'held until the refresh, then sent once each');
  assert.ok(sent.every((r) => r.tokenState === 'valid' && r.auth !== bearer(tokens.accessToken)));
});

test('10 concurrent axios requests rejected with 401 (token revoked by the server): one refresh, each resent once', async () => {
  server.reset();
  const { api } = await instance();
  server.expireAllAccessTokens();
  const results = await Promise.all(Array.from({ length: 10 }, () => api.get('/api/me')));
  assert.deepEqual(results.map((r) => r.status), Array(10).fill(200));
  assert.equal(server.refreshCalls, 1);
  const states = server.apiLog().map((r) => r.tokenState);
  assert.equal(states.length, 20);
  assert.equal(states.filter((s) => s === 'revoked').length, 10);
  assert.equal(states.filter((s) => s === 'valid').length, 10);
});

for (const [what, body, type] of [
  ['a JSON object', { name: 'Zoë', items: [1, 2, 3] }, /^application\/json/],
  ['URLSearchParams', new URLSearchParams({ q: 'café', page: '2' }), /^application\/x-www-form-urlencoded/],
  ['a string with its own content type', 'plain text body ✓', /^text\/plain/],
]) {
  test(`a POST of ${what} resent after a 401 has the same body bytes and content type`, async () => {
    server.reset();
    const { api } = await instance();
    server.expireAllAccessTokens();
    const headers = typeof body === 'string' ? { 'Content-Type': 'text/plain; charset=utf-8' } : undefined;
    const response = await api.post('/api/items', body, { headers });
    assert.equal(response.status, 200);
    const [first, second] = server.apiLog();
    assert.equal(server.apiLog().length, 2);
    assert.equal(first.tokenState, 'revoked');
    assert.equal(second.tokenState, 'valid');
    assert.ok(first.body.length > 0);
    assert.equal(second.bytes, first.bytes);
    assert.match(first.headers['content-type'], type);
    assert.equal(second.headers['content-type'], first.headers['content-type']);
    assert.equal(second.method, 'POST');
  });
}

test('an ended session reaches the caller as an AxiosError whose cause is the AuthlaneError', async () => {
  server.reset();
  server.failRefresh(401);
  const { api } = await instance({ ttl: -30 });
  const { error } = await settle(api.get('/api/me'));
  server.failRefresh(null);
  assert.ok(axios.isAxiosError(error));
  assert.ok(isAuthlaneError(error.cause));
  assert.equal(error.cause.code, 'SESSION_EXPIRED');
  assert.equal(error.code, 'SESSION_EXPIRED', 'axios copies the code of the error it wraps');
  assert.equal(isSessionError(error), true);
  assert.equal(server.apiCalls, 0, 'no request went out with the dead token');
  assert.equal(server.refreshCalls, 1);
});

test('a request held by a refresh when logout() runs: an AxiosError whose cause is LOGGED_OUT', async () => {
  server.reset();
  server.setRefreshDelay(300);
  const { api, client } = await instance({ ttl: -30 });
  const held = settle(api.get('/api/me'));
  await waitFor('the refresh call', () => server.refreshCalls === 1);
  await client.logout();
  const { error } = await held;
  server.setRefreshDelay(0);
  assert.ok(axios.isAxiosError(error));
  assert.equal(error.cause.code, 'LOGGED_OUT');
  assert.equal(isSessionError(error), true);
  assert.equal(server.apiCalls, 0);
});

test("axios's signal aborts one held request only: it settles at once, the others go out after the refresh", async () => {
  server.reset();
  server.setRefreshDelay(300);
  const { api } = await instance({ ttl: -30 });
  const controllers = [new AbortController(), new AbortController(), new AbortController()];
  const settled = [];
  const requests = controllers.map((c, i) => settle(api.get(`/api/items/${i}`, { signal: c.signal })).then((r) => {
    settled.push(i);
    return r;
  }));
  await waitFor('the refresh call', () => server.refreshCalls === 1);
  controllers[1].abort();
  const aborted = await requests[1];
  assert.deepEqual(settled, [1], 'the aborted request settled while the refresh was in flight');
  assert.ok(axios.isCancel(aborted.error), `axios reports a cancel (${aborted.error && aborted.error.code})`);
  assert.equal(isSessionError(aborted.error), false);
  const [first, , third] = await Promise.all(requests);
  server.setRefreshDelay(0);
  assert.equal(first.value.status, 200);
  assert.equal(third.value.status, 200);
  assert.deepEqual(server.apiLog().map((r) => r.path).sort(), ['/api/items/0', '/api/items/2']);
  assert.equal(server.refreshCalls, 1);
});

test("axios's timeout ends a request held too long, with axios's own ETIMEDOUT", async () => {
  server.reset();
  server.setRefreshDelay(400);
  const { api } = await instance({ ttl: -30 });
  const { error } = await settle(api.get('/api/me', { timeout: 50 }));
  assert.ok(axios.isAxiosError(error));
  assert.equal(error.code, 'ETIMEDOUT');
  assert.equal(isSessionError(error), false);
  await sleep(450); // the shared refresh still completes for everyone else
  server.setRefreshDelay(0);
  assert.equal(server.refreshCalls, 1);
  assert.equal(server.apiCalls, 0);
});

test('a request that cannot be sent: code NETWORK_ERROR (not ERR_NETWORK), the AuthlaneError as cause', async () => {
  const gone = await startAuthServer();
  const url = gone.url;
  await gone.close();
  const client = await createAuthClient({ baseUrl: url, refresh: { url: '/refresh' } });
  clients.push(client);
  await client.login({ accessToken: 'opaque-access-token-for-a-dead-server' });
  const api = axios.create({ baseURL: url, adapter: 'fetch', env: { fetch: client.fetch } });
  const { error } = await settle(api.get('/api/me'));
  assert.ok(axios.isAxiosError(error));
  assert.equal(error.code, 'NETWORK_ERROR');
  assert.ok(isAuthlaneError(error.cause));
  assert.equal(error.cause.code, 'NETWORK_ERROR');
  assert.equal(isSessionError(error), false);
});
