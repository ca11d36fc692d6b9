// authlane clients on the backend test servers, configured exactly as API.md writes it, and the
// assertions shared by the backend tests.
import assert from 'node:assert/strict';
import { createAuthClient } from 'authlane';
import { spyStorage } from '../../support/harness.mjs';

export { delay, settlesWithin, settleAll, assertAll, outcome, spyStorage, typesOf, countOf } from '../../support/harness.mjs';

export const ACCESS = 'authlane.accessToken';
export const REFRESH = 'authlane.refreshToken';

/**
 * The `refresh` option for an oidc-provider client (API.md "OAuth 2.0 token endpoint"):
 * the public client with `clientId` only (clientAuth defaults to "none"), the basic one with a
 * secret (clientAuth defaults to "client_secret_basic"), the post one naming its clientAuth.
 */
export function oauthRefresh(oidc, name, extra = {}) {
  const c = oidc.clients[name];
  return {
    url: oidc.tokenEndpoint,
    grant: 'oauth2',
    clientId: c.clientId,
    ...(c.clientSecret ? { clientSecret: c.clientSecret } : {}),
    ...(c.clientAuth === 'client_secret_post' ? { clientAuth: 'client_secret_post' } : {}),
    ...extra,
  };
}

/**
 * A client whose API is oidc's resource server and whose refresh is oidc's token endpoint for
 * client `name`; records its actions. Options override (refresh included).
 */
export async function oauthClient(t, oidc, name, options = {}) {
  const actions = [];
  const storage = options.storage ?? spyStorage();
  const client = await createAuthClient({
    baseUrl: oidc.apiUrl,
    refresh: oauthRefresh(oidc, name),
    refreshRetry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
    refreshTimeoutMs: 3000,
    timeoutMs: 5000,
    ...options,
    storage,
  });
  client.subscribe((a) => actions.push(a));
  t.after(() => client.dispose());
  return { client, actions, storage };
}

/** The payload of the last action of `type` (without the authlane/ prefix), or undefined. */
export const lastPayload = (actions, type) => actions.filter((a) => a.type === `authlane/${type}`).at(-1)?.payload;

/** Asserts two token strings are the same without ever printing them. */
export function sameToken(actual, expected, what) {
  assert.ok(typeof expected === 'string' && expected.length > 0, `${what}: no expected token to compare with`);
  assert.ok(actual === expected, `${what}: ${actual == null ? 'nothing' : 'a different token'} found`);
}

/** Asserts two token strings differ without ever printing them. */
export function differentToken(actual, other, what) {
  assert.ok(actual !== other, `${what}: still the same token`);
}
