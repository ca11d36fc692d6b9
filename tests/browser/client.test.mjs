// The client in real headless Chromium, cross-origin to the real auth server: single flight,
// origin allowlist, refresh outcomes, and a module Web Worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startAuthServer, startEchoServer } from '../support/auth-server.mjs';

let browser, site, server, other, page;
before(async () => {
  [browser, server, other] = await Promise.all([launch(), startAuthServer(), startEchoServer()]);
  site = await serveStatic({
    '/client.html': modulePage(`
      import * as authlane from 'authlane';
      window.authlane = authlane;
      window.ready = true;`),
    '/worker.js': `
      import { createAuthClient } from '/authlane/esm/index.js';
      self.onmessage = async ({ data }) => {
        try {
          const client = await createAuthClient({ baseUrl: data.base, refresh: { url: '/refresh' } });
          await client.login(data.tokens);
          const statuses = await Promise.all([1, 2, 3].map(() => client.fetch('/api/worker').then((r) => r.status)));
          self.postMessage({ statuses, session: client.session().authenticated });
        } catch (e) {
          self.postMessage({ error: String(e && (e.stack || e.message) || e) });
        }
      };
      self.postMessage('ready');`,
  });
  page = await browser.newPage();
  await page.goto(`${site.url}/client.html`);
  await page.waitForFunction(() => window.ready);
});
after(async () => { await browser?.close(); await site?.close(); await server?.close(); await other?.close(); });

/** Runs a burst in the page: a client logged in with `tokens`, `n` requests at once. */
function burst(n, tokens, options = {}) {
  return page.evaluate(async ({ base, n, tokens, options }) => {
    const client = await window.authlane.createAuthClient({ baseUrl: base, refresh: { url: '/refresh' }, refreshRetry: { attempts: 2, baseDelayMs: 5 }, ...options });
    await client.login(tokens);
    const results = await Promise.all(Array.from({ length: n }, (_, i) =>
      client.fetch('/api/b/' + i).then((r) => r.status, (e) => e.code || e.name)));
    const session = client.session();
    client.dispose();
    return { results, authenticated: session.authenticated };
  }, { base: server.url, n, tokens, options });
}

for (const n of [5, 100]) {
  test(`Chromium: ${n} requests with an expired token make one refresh and all succeed`, async () => {
    server.reset();
    const tokens = await server.issueTokens({ ttl: -30 });
    const { results } = await burst(n, tokens);
    assert.deepEqual([...new Set(results)], [200]);
    assert.equal(server.refreshCalls, 1);
    const auth = new Set(server.log.filter((r) => r.path.startsWith('/api/b/')).map((r) => r.auth));
    assert.equal(auth.size, 1);
    assert.notEqual([...auth][0], `Bearer ${tokens.accessToken}`);
  });
}

test('Chromium: another origin never sees the token', async () => {
  server.reset();
  const tokens = await server.issueTokens({ ttl: 300 });
  const statuses = await page.evaluate(async ({ base, otherUrl, tokens }) => {
    const client = await window.authlane.createAuthClient({ baseUrl: base, refresh: { url: '/refresh' } });
    await client.login(tokens);
    const out = [(await client.fetch('/api/own')).status, (await client.fetch(otherUrl + '/x')).status];
    client.dispose();
    return out;
  }, { base: server.url, otherUrl: other.url, tokens });
  assert.deepEqual(statuses, [200, 200]);
  assert.equal(server.log.find((r) => r.path === '/api/own').auth, `Bearer ${tokens.accessToken}`);
  assert.ok(other.seen.length > 0 && other.seen.every((r) => r.headers.authorization === undefined));
});

test('Chromium: a definitive refresh failure rejects every held request SESSION_EXPIRED', async () => {
  server.reset();
  server.failRefresh(401);
  const { results, authenticated } = await burst(5, await server.issueTokens({ ttl: -30 }));
  server.failRefresh(null);
  assert.deepEqual([...new Set(results)], ['SESSION_EXPIRED']);
  assert.equal(authenticated, false);
  assert.equal(server.refreshCalls, 1);
});

test('Chromium: a transient failure is REFRESH_FAILED, and the next request recovers', async () => {
  server.reset();
  server.failRefresh(503, 2);
  const tokens = await server.issueTokens({ ttl: -30 });
  const out = await page.evaluate(async ({ base, tokens }) => {
    const client = await window.authlane.createAuthClient({ baseUrl: base, refresh: { url: '/refresh' }, refreshRetry: { attempts: 2, baseDelayMs: 5 } });
    await client.login(tokens);
    const first = await client.fetch('/api/t').then((r) => r.status, (e) => e.code);
    const second = await client.fetch('/api/t').then((r) => r.status, (e) => e.code);
    client.dispose();
    return [first, second];
  }, { base: server.url, tokens });
  assert.deepEqual(out, ['REFRESH_FAILED', 200]);
  assert.equal(server.refreshCalls, 3);
});

test('Chromium: the client works in a module Web Worker, refreshing once', async () => {
  server.reset();
  const tokens = await server.issueTokens({ ttl: -30 });
  const result = await page.evaluate(({ base, tokens }) => new Promise((resolve, reject) => {
    const worker = new Worker('/worker.js', { type: 'module' });
    worker.onerror = (e) => reject(new Error('worker failed to load: ' + e.message));
    worker.onmessage = ({ data }) => {
      if (data === 'ready') return worker.postMessage({ base, tokens });
      worker.terminate();
      resolve(data);
    };
  }), { base: server.url, tokens });
  assert.deepEqual(result, { statuses: [200, 200, 200], session: true });
  assert.equal(server.refreshCalls, 1);
});
