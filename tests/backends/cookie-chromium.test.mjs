// API.md "Refresh token in an HttpOnly cookie" in headless Chromium, with the browser's own cookie
// jar: a page on one origin (http://127.0.0.1:A), the cookie auth server on another port (same
// site, another origin; CORS with credentials). The page logs in itself (POST /login with
// credentials: "include"), then authlane with `cookie: true`: an expired access token costs one
// refresh that carries the cookie; after a reload (nothing stored) `client.refresh()` restores
// the session; a browser without the cookie gets SESSION_EXPIRED.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startCookieServer } from './support/cookie-server.mjs';

let browser, site, server;
before(async () => {
  server = await startCookieServer({ sameSite: 'Lax' });
  [browser, site] = await Promise.all([launch(), serveStatic({
    '/app.html': modulePage(`
      import { createAuthClient, isAuthlaneError } from 'authlane';
      const seen = (p) => p.then((r) => r.status, (e) => (isAuthlaneError(e) ? e.code : e.name));
      const actions = [];
      // What an app does at start-up: a client whose refresh token lives in the cookie.
      window.start = async (base) => {
        window.client = await createAuthClient({
          baseUrl: base, refresh: { url: '/refresh', cookie: true },
          refreshRetry: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20 },
        });
        window.client.subscribe((a) => actions.push(a.type.replace('authlane/', '')));
        return window.client.session().authenticated;
      };
      // The app's own login form: the server answers { accessToken } and sets the HttpOnly cookie.
      window.signIn = async (base, ttl) => {
        const res = await fetch(base + '/login?ttl=' + ttl, {
          method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'zoe', password: 'password' }),
        });
        const { accessToken } = await res.json();
        await window.client.login({ accessToken });
        return { status: res.status, cookieVisible: document.cookie.includes('rt=') };
      };
      window.burst = (n) => Promise.all(Array.from({ length: n }, (_, i) => seen(window.client.fetch('/api/data?i=' + i))));
      window.restore = () => seen(window.client.refresh().then(() => ({ status: 'resolved' })));
      window.state = () => ({ authenticated: window.client.session().authenticated, actions });
      window.ready = true;`),
  })]);
});
after(async () => { await browser?.close(); await site?.close(); await server?.close(); });

async function openApp(context) {
  const page = await context.newPage();
  await page.goto(`${site.url}/app.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 10000 });
  return page;
}

test('Chromium, cookie mode: login, an expired token refreshed once with the HttpOnly cookie, then a reload restored by client.refresh()', async () => {
  const context = await browser.newContext();
  try {
    let page = await openApp(context);
    assert.equal(await page.evaluate((base) => window.start(base), server.url), false);
    const signIn = await page.evaluate((base) => window.signIn(base, 1).catch((e) => ({ error: e.code ?? e.name })), server.url);
    assert.deepEqual(signIn, { status: 200, cookieVisible: false }, 'the page logged in; the cookie is HttpOnly');
    await page.waitForTimeout(1300); // the 1 s access token has expired

    const refreshesBefore = server.refreshLog.length;
    assert.deepEqual(await page.evaluate(() => window.burst(5)), [200, 200, 200, 200, 200]);
    const refreshes = server.refreshLog.slice(refreshesBefore);
    assert.equal(refreshes.length, 1, 'one refresh for five requests');
    assert.equal(refreshes[0].withCookie, true, 'the browser sent the cookie with the refresh');
    assert.equal(refreshes[0].origin, site.url, 'a cross-origin call from the page');
    assert.equal(refreshes[0].status, 200);

    // A reload: the access token was in memory only; the cookie is all that is left.
    await page.close();
    page = await openApp(context);
    assert.equal(await page.evaluate((base) => window.start(base), server.url), false);
    assert.equal(await page.evaluate(() => window.restore()), 'resolved', 'client.refresh() asked the cookie for a session');
    assert.equal((await page.evaluate(() => window.state())).authenticated, true);
    assert.equal(server.refreshLog.at(-1).withCookie, true);
    assert.deepEqual(await page.evaluate(() => window.burst(2)), [200, 200]);
  } finally {
    await context.close();
  }
});

test('Chromium, cookie mode: a browser without the cookie: client.refresh() rejects SESSION_EXPIRED', async () => {
  const context = await browser.newContext(); // a fresh profile: no cookie
  try {
    const page = await openApp(context);
    await page.evaluate((base) => window.start(base), server.url);
    const refreshesBefore = server.refreshLog.length;
    assert.equal(await page.evaluate(() => window.restore()), 'SESSION_EXPIRED');
    assert.equal(server.refreshLog.length, refreshesBefore + 1);
    assert.equal(server.refreshLog.at(-1).withCookie, false);
    const { authenticated, actions } = await page.evaluate(() => window.state());
    assert.equal(authenticated, false);
    assert.ok(actions.includes('refreshFailed') && !actions.includes('sessionExpired'), `actions: ${actions.join(', ')}`);
  } finally {
    await context.close();
  }
});
