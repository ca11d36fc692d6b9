// Helpers for client tests: settle-or-fail, a client on the auth server, action capture.
import assert from 'node:assert/strict';
import { createAuthClient, memoryStorage } from 'authlane';
import { tokenScan } from './token-scan.mjs';

/** Resolves with { value } or { error }; fails the test if the promise does not settle in time. */
export async function settle(promise, ms = 5000) {
  let timer;
  const timeout = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`did not settle within ${ms} ms`)), ms); });
  try {
    const settled = promise.then((value) => ({ value }), (error) => {
      tokenScan.saw('rejection', error);
      return { error };
    });
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A logged-in client on `server`; `ttl` < 0 gives an expired access token. */
export async function loggedIn(server, { ttl = 300, storage = memoryStorage(), ...options } = {}) {
  const actions = [];
  const client = await createAuthClient({
    baseUrl: server.url,
    refresh: { url: '/refresh' },
    storage,
    refreshRetry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    dispatch: (a) => actions.push(a), // the token scan sees every action (token-scan-hooks.mjs)
    ...options,
  });
  const tokens = await server.issueTokens({ ttl });
  await client.login(tokens);
  return { client, tokens, actions, storage };
}

export const types = (actions) => actions.map((a) => a.type.replace('authlane/', ''));

/** No token string appears in any action, message or value given. */
export function assertNoToken(values, tokens) {
  const text = JSON.stringify(values, (k, v) => (v instanceof Error ? { message: v.message, code: v.code } : v));
  for (const t of tokens) assert.ok(!text.includes(t), 'a token string leaked');
}
