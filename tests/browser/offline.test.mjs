// API.md "Offline" in Chromium with the network emulated offline (Playwright's setOffline: fetch
// fails, navigator.onLine turns false and the `offline` event fires), with the default
// connectivity: the client follows the browser without any option. Offline, requests that need
// a refresh reject at once with NETWORK_ERROR and make no call; logout() keeps its revocation in
// localStorage; back online, one refresh, and the revocation is sent once, also after a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startAuthServer } from '../support/server.mjs';

let browser, site, server;
before(async () => {
  [browser, server] = await Promise.all([launch(), startAuthServer()]);
  site = await serveStatic({ '/app.html': modulePage(`import * as a from 'authlane'; window.authlane = a; window.ready = true;`) });
});
after(async () => { await browser?.close(); await site?.close(); await server?.close(); });

async function open(page) {
  await page.goto(`${site.url}/app.html`);
  await page.waitForFunction(() => window.ready);
  await page.evaluate(async (base) => {
    const { createAuthClient, webStorage } = window.authlane;
    window.actions = [];
    window.client = await createAuthClient({
      baseUrl: base,
      refresh: { url: '/refresh' },
      revoke: { url: '/revoke' },
      storage: webStorage(localStorage),
      dispatch: (a) => window.actions.push(a.type.replace('authlane/', '')),
    });
  }, server.url);
}

const requests = (page, n) => page.evaluate((n) => Promise.all(Array.from({ length: n }, () =>
  window.client.fetch('/api/x').then((r) => r.status, (e) => `${e.code}:${e.cause?.name}`))), n);

test('the network emulated offline: no refresh, NETWORK_ERROR at once, logout kept; online: one refresh, one revocation, after a reload too', async (t) => {
  server.reset();
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  await open(page);
  const tokens = await server.issueTokens({ ttl: -60 });
  await page.evaluate((tk) => window.client.login(tk), tokens);

  await context.setOffline(true);
  await page.waitForFunction(() => navigator.onLine === false);
  assert.deepEqual(await requests(page, 5), Array(5).fill('NETWORK_ERROR:OfflineError'));
  assert.equal(server.refreshCalls, 0, 'no refresh call offline');
  assert.equal(await page.evaluate(() => window.client.session().authenticated), true);
  assert.deepEqual(await page.evaluate(() => window.actions.filter((a) => a.startsWith('refresh'))), []);

  await context.setOffline(false);
  await page.waitForFunction(() => navigator.onLine === true);
  assert.deepEqual(await requests(page, 5), Array(5).fill(200));
  assert.equal(server.refreshCalls, 1, 'one refresh online');

  // Logout offline: the revocation waits in localStorage; the app reloaded online sends it.
  const live = await page.evaluate(() => localStorage.getItem('authlane.refreshToken'));
  await context.setOffline(true);
  await page.waitForFunction(() => navigator.onLine === false);
  assert.deepEqual(await page.evaluate(() => window.client.logout()), { revoked: false, pending: true });
  assert.equal(await page.evaluate(() => window.client.session().authenticated), false);
  assert.deepEqual(server.revoked, []);
  // The page is closed before the network comes back: the reloaded app, not this one, must send it.
  // (Left open, this page sends it on the online event, and a reload that kills it after its call
  // reached the server but before it cleared the entry has the next page send it again, which is
  // right: a revocation is idempotent. The test would count that as a second send.)
  await page.goto('about:blank');
  await context.setOffline(false);
  await open(page);
  for (let i = 0; i < 500 && server.revoked.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.revoked.length, 1, 'the reloaded app sent the kept revocation once');
  assert.ok(server.revoked[0] === live, 'the ended session\'s refresh token');
  await page.waitForFunction(() => localStorage.getItem('authlane.pendingRevocations') === null);
  await open(page);
  await page.evaluate(() => new Promise((r) => setTimeout(r, 200)));
  assert.equal(server.revoked.length, 1, 'never twice');
});
