// README's React Native recipe (the AppState listener around startAutoRefresh/stopAutoRefresh) with
// a fake AppState, against the real auth server with 2 s access tokens: while active the timer
// refreshes before each expiry; in the background nothing refreshes though the token expires; back to
// active, it refreshes at once, before any request needs it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, memoryStorage } from 'authlane';
import { startAuthServer } from '../support/server.mjs';
import { sleep, waitFor } from './support.mjs';

/** React Native's AppState, as far as the recipe uses it. */
function fakeAppState() {
  const listeners = new Set();
  return {
    currentState: 'active',
    addEventListener(type, listener) {
      assert.equal(type, 'change');
      listeners.add(listener);
      return { remove: () => listeners.delete(listener) };
    },
    /** What React Native does when the app changes state. */
    change(state) {
      this.currentState = state;
      for (const listener of [...listeners]) listener(state);
    },
  };
}

/** README's makeClient, with the test server and memory storage. */
async function makeClient(AppState, baseUrl) {
  const client = await createAuthClient({
    baseUrl,
    refresh: { url: '/refresh' },
    storage: { access: memoryStorage(), refresh: memoryStorage() },
  });
  client.startAutoRefresh();
  AppState.addEventListener('change', (state) => {
    if (state === 'active') client.startAutoRefresh();
    else client.stopAutoRefresh();
  });
  return client;
}

const server = await startAuthServer({ accessTtl: 2 });
after(() => server.close());

test('AppState recipe: background stops the refresh timer, active refreshes at once a token that expired meanwhile', async (t) => {
  const AppState = fakeAppState();
  const client = await makeClient(AppState, server.url);
  t.after(() => client.dispose());
  await client.login(await server.issueTokens({ ttl: 2 }));

  // 2 s tokens are refreshed after about 1 s: the one from login, then the one from that refresh.
  await waitFor('two refreshes by the timer while active', () => server.refreshCalls >= 2, 4000);
  assert.ok(client.session().expiresAt > Date.now());
  AppState.change('background');
  await sleep(100); // a refresh the timer started just before is allowed to land
  const calls = server.refreshCalls;
  const { expiresAt } = client.session();
  await waitFor('the token to expire in the background', () => Date.now() > expiresAt + 300, 3000);
  await sleep(300);
  assert.equal(server.refreshCalls, calls, 'no refresh while in the background');
  assert.ok(client.session().expiresAt < Date.now(), 'the access token expired meanwhile');

  AppState.change('active');
  await waitFor('a refresh right after coming back', () => server.refreshCalls === calls + 1, 500);
  await waitFor('the new token', () => client.session().expiresAt > Date.now());
  assert.equal(server.apiCalls, 0, 'no request was needed to trigger it');
  assert.equal((await client.fetch('/api/me')).status, 200);
  assert.equal(server.apiLog()[0].tokenState, 'valid');
  AppState.change('background');
});
