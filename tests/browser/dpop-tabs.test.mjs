// API.md "DPoP": in browsers the key pair is a non-extractable CryptoKey pair in IndexedDB, named
// from storageKey, so that every tab and a reload sign with the same key. Two real Chromium tabs
// (one origin, one profile) against oidc-provider with DPoP and nonces required and a resource
// server that checks every proof (tests/backends/support): both tabs, created at the same moment
// on an empty IndexedDB, end with one key; tokens one tab got are usable and refreshable from the
// other (the public client's refresh token is bound to that key); a reload keeps the key; a
// logout makes a new key that the other tab's next proof is signed with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startOidcDpop, decodeProof, tokenJkt } from '../backends/support/oidc-dpop.mjs';

let browser, site, oidc;
before(async () => {
  [browser, oidc] = await Promise.all([launch(), startOidcDpop()]);
  site = await serveStatic({ '/tab.html': modulePage(`import * as a from 'authlane'; window.authlane = a; window.ready = true;`) });
});
after(async () => { await browser?.close(); await site?.close(); await oidc?.close(); });

const OPTIONS = () => ({
  baseUrl: oidc.dpopApi.url,
  refresh: { url: oidc.tokenEndpoint, grant: 'oauth2', clientId: oidc.clients.public.clientId },
  revoke: { url: oidc.revocationEndpoint },
});

/** Opens the page in `page` and makes its client (dpop: true, localStorage); resolves its jkt. */
async function start(page) {
  await page.goto(`${site.url}/tab.html`);
  await page.waitForFunction(() => window.ready);
  return page.evaluate(async (options) => {
    const { createAuthClient, webStorage } = window.authlane;
    window.actions = [];
    window.client = await createAuthClient({ ...options, dpop: true, storage: webStorage(localStorage), dispatch: (a) => window.actions.push(a.type) });
    return window.client.session().dpop?.jkt ?? null;
  }, OPTIONS());
}

const jktOf = (page) => page.evaluate(() => window.client.session().dpop?.jkt ?? null);
const proofFrom = (page) => (method, url, options) => page.evaluate(([m, u, o]) => window.client.dpopProof(m, u, o), [method, url, options]);
const fetchStatus = (page, path) => page.evaluate((p) => window.client.fetch(p).then((r) => r.status, (e) => e.code), path);

test('two tabs and a reload share one DPoP key through IndexedDB; a logout makes the next one', async (t) => {
  const context = await browser.newContext();
  t.after(() => context.close());
  const [a, b] = [await context.newPage(), await context.newPage()];
  const api = oidc.dpopApi;

  // Both tabs made at once on an empty IndexedDB: one transaction decides, both get its key.
  const [ja, jb] = await Promise.all([start(a), start(b)]);
  assert.match(ja ?? '', /^[\w-]{43}$/);
  assert.equal(jb, ja, 'both tabs sign with the same key');

  // Tab A's login (its code exchange signed by dpopProof); tab B takes the session.
  const tokens = await oidc.login('public', { dpopProof: proofFrom(a) });
  assert.equal(tokenJkt(tokens.access_token), ja);
  await a.evaluate((t) => window.client.login(t), tokens);
  await b.waitForFunction(() => window.client.session().authenticated, null, { timeout: 5000 });
  assert.equal(await fetchStatus(b, '/api/from-b'), 200, 'tab B uses the token tab A got');
  assert.equal(api.log.filter((e) => e.status === 200).at(-1).jkt, ja);

  // Tab B refreshes: the public client's refresh token is bound to the key, which B holds too.
  await b.evaluate(() => window.client.refresh());
  const refreshes = oidc.tokenCalls('refresh_token');
  assert.equal(refreshes.filter((e) => e.status === 200).length, 1);
  assert.equal(decodeProof(refreshes.at(-1).dpop).jkt, ja);
  await a.waitForFunction(() => window.actions.includes('authlane/refreshSucceeded'), null, { timeout: 5000 });
  assert.equal(await fetchStatus(a, '/api/from-a'), 200, 'tab A uses the token tab B refreshed');

  // A reload of tab A: the same key, the same session.
  assert.equal(await start(a), ja, 'the reloaded tab has the same key');
  assert.equal(await a.evaluate(() => window.client.session().authenticated), true);
  assert.equal(await fetchStatus(a, '/api/after-reload'), 200);

  // Tab A logs out: revoked with a proof, and a new key for the next session, in both tabs.
  assert.deepEqual(await a.evaluate(() => window.client.logout()), { revoked: true });
  assert.equal(decodeProof(oidc.revocationLog.at(-1).dpop).jkt, ja);
  await a.waitForFunction((old) => { const j = window.client.session().dpop?.jkt; return j && j !== old; }, ja, { timeout: 5000 });
  const next = await jktOf(a);
  await b.waitForFunction(() => window.actions.includes('authlane/loggedOut'), null, { timeout: 5000 });
  const fromB = decodeProof(await proofFrom(b)('POST', oidc.tokenEndpoint));
  assert.equal(fromB.jkt, next, 'tab B\'s next proof is signed with the new key');
  assert.equal(await start(b), next, 'and a reload of tab B has it');
});
