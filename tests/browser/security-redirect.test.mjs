// Security in real headless Chromium: a redirect (301, 302, 307, 308) from the API to another
// origin never takes the token there, on the first send or on the resend after a 401; checked at
// the other-origin server, which allows an Authorization header by CORS (so a leak would arrive
// and be seen, not be blocked by a failed preflight). A custom header name must not follow either.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startAuthServer, startEchoServer } from '../support/server.mjs';

let browser, site, page;
before(async () => {
  [browser, site] = await Promise.all([launch(), serveStatic({
    '/redirect.html': modulePage(`
      import * as authlane from 'authlane';
      // One client logged in with tokens; one request; what the caller saw.
      window.run = async ({ base, tokens, url, init = {}, options = {} }) => {
        const client = await authlane.createAuthClient({ baseUrl: base, refresh: { url: '/refresh' }, ...options });
        await client.login(tokens);
        try {
          const r = await client.fetch(url, init);
          return { status: r.status, redirected: r.redirected, body: await r.text() };
        } catch (e) {
          return { error: authlane.isAuthlaneError(e) ? e.code : e.name + ': ' + e.message };
        } finally {
          client.dispose();
        }
      };
      window.ready = true;`),
  })]);
  page = await browser.newPage();
  await page.goto(`${site.url}/redirect.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 10000 });
});
after(async () => { await browser?.close(); await site?.close(); });

async function servers(t) {
  const [server, other] = await Promise.all([startAuthServer(), startEchoServer()]);
  t.after(() => Promise.all([server.close(), other.close()]));
  return { server, other, tokens: await server.issueTokens() };
}

const via = (status, to) => `/api/redirect?status=${status}&to=${encodeURIComponent(to)}`;
const run = (args) => page.evaluate((a) => window.run(a), args);

/** Nothing that reached the other origin (requests and preflights) carried or asked for the token. */
function assertNoTokenArrived(other, server) {
  assert.ok(other.seen.length > 0, 'the redirect was followed to the other origin');
  assert.ok(other.sawNoAuth(), `Authorization reached the other origin: ${JSON.stringify(other.preflights)}`);
  const text = JSON.stringify([other.seen, other.preflights]);
  for (const { accessToken } of server.issued) assert.ok(!text.includes(accessToken), 'an access token reached the other origin');
}

test('Chromium: the other origin accepts and records an Authorization header sent to it directly (the checks can see a leak)', async (t) => {
  const { server, other, tokens } = await servers(t);
  const r = await run({ base: server.url, tokens, url: `${other.url}/direct`, options: { allowedOrigins: [server.url, other.url] } });
  assert.equal(r.status, 200);
  assert.equal(other.seen.at(-1).headers.authorization, `Bearer ${tokens.accessToken}`);
});

for (const status of [301, 302, 307, 308]) {
  test(`Chromium: ${status} from the API to another origin does not take the token there`, async (t) => {
    const { server, other, tokens } = await servers(t);
    const r = await run({ base: server.url, tokens, url: via(status, `${other.url}/landing`) });
    assert.equal(r.status, 200, JSON.stringify(r));
    assert.equal(r.redirected, true);
    assert.equal(JSON.parse(r.body).path, '/landing');
    assert.equal(server.apiLog('/api/redirect')[0].auth, `Bearer ${tokens.accessToken}`, 'the first hop carried it');
    assertNoTokenArrived(other, server);
  });

  test(`Chromium: ${status} to another origin that answers 401: no send or resend takes the token there`, async (t) => {
    const { server, other, tokens } = await servers(t);
    const r = await run({ base: server.url, tokens, url: via(status, `${other.url}/denied?status=401`) });
    assert.equal(r.status, 401, JSON.stringify(r));
    assertNoTokenArrived(other, server);
    assert.ok(other.seen.length <= 2, 'sent at most twice');
  });
}

test('Chromium: a 307 POST keeps its body but not the token', async (t) => {
  const { server, other, tokens } = await servers(t);
  const r = await run({ base: server.url, tokens, url: via(307, `${other.url}/post`), init: { method: 'POST', body: 'payload' } });
  assert.equal(r.status, 200, JSON.stringify(r));
  const arrived = other.seen.find((x) => x.path === '/post');
  assert.equal(arrived.method, 'POST');
  assert.equal(arrived.body, 'payload');
  assertNoTokenArrived(other, server);
});

test('Chromium: custom header name: a 302 is not followed blindly; NETWORK_ERROR, nothing reaches the other origin', async (t) => {
  // fetch would carry X-Auth along any redirect, and a page cannot see where a redirect goes
  // (redirect: 'manual' gives an opaque response): authlane refuses to follow instead.
  const { server, other, tokens } = await servers(t);
  const options = { header: { name: 'X-Auth', scheme: 'Token' } };
  const r = await run({ base: server.url, tokens, url: via(302, `${other.url}/landing`), options });
  assert.equal(r.error, 'NETWORK_ERROR', JSON.stringify(r));
  assert.ok(server.apiLog('/api/redirect')[0].headers['x-auth']?.startsWith('Token '), 'the first hop carried it');
  assert.equal(other.seen.length, 0, 'nothing reached the other origin');
});
