// API.md "OAuth 2.0 token endpoint" against a real OpenID provider (oidc-provider): the first login
// over HTTP (authorization code + PKCE), `login()` with the provider's snake_case token response
// as it is, then 10 concurrent requests through an expired access token: exactly one token
// endpoint call (form-encoded grant_type=refresh_token, with the client's authentication), all
// 10 succeed, the rotated refresh token is stored. For the public client (none), a
// client_secret_basic and a client_secret_post one; JWT access tokens (exp) and opaque ones
// (expires_in drives expiry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOidc } from './support/oidc.mjs';
import {
  ACCESS, REFRESH, oauthClient, settleAll, assertAll, delay, lastPayload, countOf, typesOf,
  sameToken, differentToken,
} from './support/clients.mjs';

const CLIENTS = ['public', 'basic', 'post'];

for (const format of ['jwt', 'opaque']) {
  test(`oidc-provider, ${format} access tokens: login with the token response, then 10 expired requests make 1 form-encoded refresh`, async (t) => {
    const oidc = await startOidc({ accessTokenFormat: format, accessTtl: 1 }); // logins get 1 s tokens
    t.after(() => oidc.close());

    const sessions = {};
    for (const name of CLIENTS) {
      const response = await oidc.login(name); // { access_token, refresh_token, expires_in, id_token, scope, token_type }
      assert.equal(response.expires_in, 1);
      const c = await oauthClient(t, oidc, name);
      const before = Date.now();
      const loggedIn = await c.client.login(response).then(() => null, (e) => e);
      sessions[name] = { ...c, response, before, loginError: loggedIn };
    }
    oidc.setAccessTtl(300); // refreshed tokens live 5 minutes
    await delay(1300); // every login's access token has expired (the API says so below)

    for (const name of CLIENTS) {
      await t.test(`${name} client (${oidc.clients[name].clientAuth})`, async () => {
        const { client, actions, storage, response, before, loginError } = sessions[name];
        const { clientId, clientSecret } = oidc.clients[name];
        assert.ok(loginError === null, `login(tokenResponse) rejected: ${loginError?.code} ${loginError?.message}`);
        sameToken(storage.items.get(ACCESS), response.access_token, 'login stored the access_token');
        sameToken(storage.items.get(REFRESH), response.refresh_token, 'login stored the refresh_token');
        const loggedIn = lastPayload(actions, 'loggedIn');
        assert.ok(loggedIn, 'loggedIn dispatched');
        if (format === 'opaque') {
          assert.equal(loggedIn.claims, null);
          assert.ok(loggedIn.expiresAt >= before + 900 && loggedIn.expiresAt <= Date.now() + 1100,
            `expires_in: 1 gives expiresAt about a second after login (got ${loggedIn.expiresAt - before} ms)`);
        } else {
          assert.equal(loggedIn.claims?.sub, 'user-1');
        }
        const direct = await fetch(`${oidc.apiUrl}/api/data`, { headers: { authorization: `Bearer ${response.access_token}` } });
        assert.equal(direct.status, 401, 'the API no longer accepts the login access token');

        const apiBefore = oidc.apiLog.length;
        const results = await settleAll(Array.from({ length: 10 }, (_, i) => client.fetch(`/api/data?i=${i}`)), 8000);
        assertAll(results, 200);

        const calls = oidc.tokenCalls('refresh_token', clientId);
        assert.equal(calls.length, 1, 'one token endpoint call for 10 requests');
        const [call] = calls;
        assert.equal(call.status, 200, `the provider accepted the refresh (got ${call.status} ${call.error})`);
        assert.match(call.contentType ?? '', /^application\/x-www-form-urlencoded/);
        assert.match(call.accept ?? '', /application\/json/);
        assert.equal(call.form.grant_type, 'refresh_token');
        sameToken(call.form.refresh_token, response.refresh_token, 'the refresh_token sent');
        if (name === 'public') {
          assert.equal(call.form.client_id, clientId);
          assert.equal(call.basic, null, 'no Authorization header for a public client');
          assert.equal(call.form.client_secret, undefined);
        } else if (name === 'basic') {
          assert.equal(call.basic, clientId, 'client_secret_basic is the default with a secret');
          assert.equal(call.form.client_secret, undefined, 'the secret is not in the body');
        } else {
          assert.equal(call.basic, null, 'client_secret_post sends no Authorization header');
          assert.equal(call.form.client_id, clientId);
          sameToken(call.form.client_secret, clientSecret, 'client_secret in the body');
        }

        const fresh = oidc.newest(clientId);
        assert.equal(fresh.grantType, 'refresh_token');
        sameToken(storage.items.get(ACCESS), fresh.accessToken, 'the new access token is stored');
        sameToken(storage.items.get(REFRESH), fresh.refreshToken, 'the rotated refresh token is stored');
        differentToken(fresh.refreshToken, response.refresh_token, 'rotation');
        const sent = oidc.apiLog.slice(apiBefore);
        assert.ok(sent.every((r) => r.auth !== `Bearer ${response.access_token}`), 'the expired access token is never sent');
        assert.equal(sent.filter((r) => r.auth === `Bearer ${fresh.accessToken}` && r.status === 200).length, 10, 'each request sent once with the new token');

        assert.equal(countOf(actions, 'refreshStarted'), 1);
        assert.equal(countOf(actions, 'sessionExpired'), 0);
        const succeeded = lastPayload(actions, 'refreshSucceeded');
        assert.ok(succeeded, `refreshSucceeded dispatched (actions: ${typesOf(actions).join(', ')})`);
        assert.equal(succeeded.rotated, true);
        if (format === 'opaque') {
          assert.equal(succeeded.claims, null);
          const ms = succeeded.expiresAt - fresh.at;
          assert.ok(ms > 295e3 && ms < 305e3, `expires_in: 300 drives expiry (expiresAt ${ms} ms after issue)`);
        } else {
          assert.equal(succeeded.claims?.sub, 'user-1');
          assert.equal(succeeded.claims?.aud, oidc.resource);
        }

        // The new token is used as it is: no further refresh.
        const after = await settleAll([client.fetch('/api/data')]);
        assertAll(after, 200);
        assert.equal(oidc.tokenCalls('refresh_token', clientId).length, 1);
      });
    }
  });
}
