// Issue 15 in real Chromium, with the packed package and localStorage: a stored token that has
// expired is refreshed before anything is sent, and auto refresh keeps a 3 s token from expiring.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startAuthServer } from '../support/server.mjs';

let browser, site, page;
before(async () => {
  [browser, site] = await Promise.all([launch(), serveStatic({
    '/timing.html': modulePage(`
      import { createAuthClient, webStorage } from 'authlane';
      const open = (base) => createAuthClient({ baseUrl: base, refresh: { url: '/refresh' }, storage: webStorage(localStorage), crossTab: false });
      // An app that starts again with these tokens in localStorage and sends n requests.
      window.restart = async ({ base, tokens, n }) => {
        localStorage.setItem('authlane.accessToken', tokens.accessToken);
        localStorage.setItem('authlane.refreshToken', tokens.refreshToken);
        const client = await open(base);
        const statuses = await Promise.all(Array.from({ length: n }, (_, i) => client.fetch('/api/r/' + i).then((r) => r.status, (e) => e.code)));
        client.dispose();
        return statuses;
      };
      // Auto refresh for ms; every 100 ms, was the access token expired?
      window.auto = async ({ base, tokens, ms }) => {
        localStorage.clear();
        const client = await open(base);
        await client.login(tokens);
        client.startAutoRefresh();
        const expired = [];
        for (let at = 0; at < ms; at += 100) {
          await new Promise((r) => setTimeout(r, 100));
          if (!(client.session().expiresAt > Date.now())) expired.push(at);
        }
        client.dispose();
        return expired;
      };
      window.ready = true;`),
  })]);
  page = await browser.newPage();
  await page.goto(`${site.url}/timing.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 10000 });
});
after(async () => { await browser?.close(); await site?.close(); });

test('Chromium: a token in localStorage that expired 100 s ago is refreshed before sending', async (t) => {
  const server = await startAuthServer();
  t.after(() => server.close());
  const tokens = await server.issueTokens({ ttl: 15, age: 115 });
  const statuses = await page.evaluate((a) => window.restart(a), { base: server.url, tokens, n: 5 });
  assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
  assert.deepEqual(server.apiLog().map((r) => r.tokenState), Array(5).fill('valid'));
  assert.equal(server.refreshCalls, 1);
});

test('Chromium: auto refresh keeps a 3 s token from ever expiring', async (t) => {
  const server = await startAuthServer({ accessTtl: 3 });
  t.after(() => server.close());
  const tokens = await server.issueTokens({ ttl: 3 });
  const expired = await page.evaluate((a) => window.auto(a), { base: server.url, tokens, ms: 7000 });
  assert.deepEqual(expired, [], 'sampled every 100 ms: never expired');
  assert.ok(server.refreshCalls >= 2 && server.refreshCalls <= 9, `${server.refreshCalls} refresh calls in 7 s`);
});
