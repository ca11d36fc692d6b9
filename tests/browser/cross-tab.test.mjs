// One refresh across tabs, in real Chromium: pages of one origin share localStorage, Web Locks and
// BroadcastChannel; the server rotates refresh tokens and revokes a family on reuse.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startAuthServer } from '../support/server.mjs';

let browser, site, server, context;
before(async () => {
  [browser, server] = await Promise.all([launch(), startAuthServer()]);
  site = await serveStatic({ '/tab.html': modulePage(`import * as a from 'authlane'; window.authlane = a; window.ready = true;`) });
});
after(async () => { await browser?.close(); await site?.close(); await server?.close(); });

async function openTabs(n, options = {}) {
  context = await browser.newContext();
  const pages = [];
  for (let i = 0; i < n; i++) {
    const page = await context.newPage();
    await page.goto(`${site.url}/tab.html`);
    await page.waitForFunction(() => window.ready);
    pages.push(page);
  }
  const tokens = await server.issueTokens({ ttl: -30 });
  await pages[0].evaluate((t) => {
    localStorage.setItem('authlane.accessToken', t.accessToken);
    localStorage.setItem('authlane.refreshToken', t.refreshToken);
  }, tokens);
  await Promise.all(pages.map((page) => page.evaluate(async ({ base, options }) => {
    const { createAuthClient, webStorage } = window.authlane;
    window.actions = [];
    window.client = await createAuthClient({ baseUrl: base, refresh: { url: '/refresh' }, storage: webStorage(localStorage), dispatch: (a) => window.actions.push(a.type), ...options });
  }, { base: server.url, options })));
  return pages;
}

const fire = (page, n) => page.evaluate((n) => Promise.all(Array.from({ length: n }, (_, i) =>
  window.client.fetch('/api/tab/' + i).then((r) => r.status, (e) => e.code || String(e)))), n);

for (const n of [2, 5]) {
  test(`${n} tabs with an expired token, all firing at once: one refresh call, no reuse, every request succeeds`, async () => {
    server.reset();
    const pages = await openTabs(n);
    const results = await Promise.all(pages.map((p) => fire(p, 5)));
    assert.deepEqual([...new Set(results.flat())], [200]);
    // Both figures in each message: a second call with reuse means a tab read storage before the
    // other tab's write reached its process; without reuse, something else.
    const figures = `${server.refreshCalls} refresh calls, ${server.reuseDetected} reuses detected`;
    assert.equal(server.refreshCalls, 1, figures);
    assert.equal(server.reuseDetected, 0, figures);
    const adopted = await Promise.all(pages.map((p) => p.evaluate(() => window.actions.filter((t) => t === 'authlane/refreshSucceeded').length)));
    assert.ok(adopted.every((count) => count === 1), `every tab followed the one refresh: ${adopted}`);
    await context.close();
  });
}

test('logout in one tab makes the others report logged out', async () => {
  server.reset();
  const [a, b, c] = await openTabs(3);
  await fire(a, 1);
  await a.evaluate(() => window.client.logout());
  for (const page of [b, c]) {
    await page.waitForFunction(() => window.actions.includes('authlane/loggedOut'));
    assert.equal(await page.evaluate(() => window.client.session().authenticated), false);
  }
  await context.close();
});

test('login in one tab makes the others report logged in, and their requests carry the new token', async () => {
  server.reset();
  const [a, b, c] = await openTabs(3);
  await a.evaluate(() => window.client.logout());
  for (const page of [b, c]) await page.waitForFunction(() => window.actions.includes('authlane/loggedOut'));
  const tokens = await server.issueTokens();
  await a.evaluate((t) => window.client.login(t), tokens);
  for (const page of [b, c]) {
    await page.waitForFunction(() => window.actions.includes('authlane/loggedIn'));
    assert.equal(await page.evaluate(() => window.client.session().authenticated), true);
    assert.deepEqual(await fire(page, 1), [200]);
  }
  assert.equal(server.refreshCalls, 0);
  await context.close();
});

test('a tab that holds the lock and never lets go blocks the others no longer than the timeout', async () => {
  server.reset();
  const [frozen, live] = await openTabs(2, { refreshTimeoutMs: 500, refreshRetry: { attempts: 1 } });
  // Resolves once the lock is granted: without that the live tab could get it first.
  await frozen.evaluate(() => new Promise((granted) => {
    navigator.locks.request('authlane.refresh', () => { granted(); return new Promise(() => {}); });
  }));
  const started = Date.now();
  const r3 = await fire(live, 3);
  assert.deepEqual(r3, [200, 200, 200]);
  const waited = Date.now() - started;
  assert.ok(waited >= 1000 && waited < 5000, `waited ${waited} ms for a lock timeout of 1500 ms`);
  assert.equal(server.refreshCalls, 1);
  await context.close();
});
