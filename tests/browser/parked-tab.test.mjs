// Issue 21's replay in real Chromium: two tabs share localStorage; the server rotates refresh
// tokens and revokes the family on reuse. Tab A takes the lock and sends R0; the call hangs and
// A is frozen. B stops waiting for the lock, refreshes with R0 and gets R1. A thaws: its overdue
// timeout aborts the hung call, and it must take B's tokens instead of retrying with R0.
//
// The freeze: Playwright's focus emulation keeps every page visible, so Chromium ignores
// Page.setWebLifecycleState('frozen'). A's event loop is held instead (a busy loop in the page),
// which is what a frozen tab looks like from inside: no timer fires, no message or response is
// handled, and every overdue timer runs at thaw. An interval counter shows it really froze.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startAuthServer } from '../support/server.mjs';

let browser, site, server;
before(async () => {
  [browser, server] = await Promise.all([launch(), startAuthServer()]);
  site = await serveStatic({ '/tab.html': modulePage(`import * as a from 'authlane'; window.authlane = a; window.ready = true;`) });
});
after(async () => { await browser?.close(); await site?.close(); await server?.close(); });

const options = { refreshTimeoutMs: 1000, refreshRetry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 400 } };

test('a tab that wakes after another tab refreshed takes its tokens: no reuse, both sessions survive', async () => {
  const context = await browser.newContext();
  const [a, b] = [await context.newPage(), await context.newPage()];
  for (const page of [a, b]) {
    await page.goto(`${site.url}/tab.html`);
    await page.waitForFunction(() => window.ready);
  }
  const tokens = await server.issueTokens({ ttl: -30 });
  await a.evaluate((t) => {
    localStorage.setItem('authlane.accessToken', t.accessToken);
    localStorage.setItem('authlane.refreshToken', t.refreshToken);
  }, tokens);
  for (const page of [a, b]) {
    await page.evaluate(async ({ base, options }) => {
      const { createAuthClient, webStorage } = window.authlane;
      window.actions = [];
      window.client = await createAuthClient({ baseUrl: base, refresh: { url: '/refresh' }, storage: webStorage(localStorage), dispatch: (x) => window.actions.push(x.type), ...options });
      window.ticks = 0;
      setInterval(() => window.ticks++, 50);
    }, { base: server.url, options });
  }
  const fetchOne = (page, path) => page.evaluate((p) => window.client.fetch(p).then((r) => r.status, (e) => e.code || String(e)), path);

  server.failRefresh('timeout', 1); // A's call hangs at the server
  const aResult = fetchOne(a, '/api/a');
  await new Promise((r) => setTimeout(r, 200)); // A holds the lock, its call is out
  assert.equal(server.refreshCalls, 1);
  // Freeze A for 5 s (longer than B's wait for the lock: 2 x 1000 + 400 + 1000 ms).
  const frozen = a.evaluate(() => {
    const before = window.ticks;
    const end = Date.now() + 5000;
    while (Date.now() < end) { /* frozen */ }
    return window.ticks - before;
  });
  const bResult = await fetchOne(b, '/api/b');
  assert.equal(bResult, 200, 'B refreshed on its own after the lock wait');
  assert.equal(await frozen, 0, 'no timer ticked in A while it was frozen');
  assert.equal(await aResult, 200, "A's request went out with B's tokens");
  await new Promise((r) => setTimeout(r, 500)); // anything A would still send
  assert.equal(server.reuseDetected, 0, 'R0 never reached the server twice');
  assert.equal(server.refreshCalls, 2, "A's hung call and B's; none after the thaw");
  for (const page of [a, b]) {
    assert.equal(await fetchOne(page, '/api/after'), 200);
    const actions = await page.evaluate(() => window.actions);
    assert.ok(!actions.includes('authlane/sessionExpired'), actions.join());
  }
  await context.close();
});
