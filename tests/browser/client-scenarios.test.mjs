// The main client scenarios in real headless Chromium: a page (import map for 'authlane') talking
// cross-origin to tests/support/server.mjs: single flight for 5 and 100 requests (proactive and
// reactive), the origin allowlist, definitive and transient refresh failures, and a module Worker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startAuthServer, startEchoServer } from '../support/server.mjs';

let browser, site, page;
const pageErrors = [];
before(async () => {
  [browser, site] = await Promise.all([launch(), serveStatic({
    '/scenarios.html': modulePage(`
      import * as authlane from 'authlane';
      window.authlane = authlane;
      // One scenario: a client logged in with tokens, n requests at once; what each caller saw.
      window.run = async ({ base, tokens, n, path = '/api/b/', options = {}, then = [] }) => {
        const actions = [];
        const client = await authlane.createAuthClient({
          baseUrl: base, refresh: { url: '/refresh' }, dispatch: (a) => actions.push(a),
          refreshRetry: { attempts: 2, baseDelayMs: 5, maxDelayMs: 10 }, ...options,
        });
        await client.login(tokens);
        const seen = (p) => p.then((r) => r.status, (e) => (authlane.isAuthlaneError(e) ? e.code : e.name));
        const results = await Promise.all(Array.from({ length: n }, (_, i) => seen(client.fetch(path + i))));
        const after = [];
        for (const url of then) after.push(await seen(client.fetch(url)));
        const session = client.session();
        client.dispose();
        return { results, after, authenticated: session.authenticated, types: actions.map((a) => a.type), actionsJson: JSON.stringify(actions) };
      };
      window.ready = true;`),
    '/worker.js': `
      import { createAuthClient, isAuthlaneError } from '/authlane/esm/index.js';
      self.onmessage = async ({ data }) => {
        try {
          const client = await createAuthClient({ baseUrl: data.base, refresh: { url: '/refresh' } });
          await client.login(data.tokens);
          const statuses = await Promise.all(Array.from({ length: 5 }, (_, i) =>
            client.fetch('/api/worker/' + i).then((r) => r.status, (e) => (isAuthlaneError(e) ? e.code : String(e)))));
          const token = await client.getAccessToken();
          const out = { statuses, authenticated: client.session().authenticated, token };
          client.dispose();
          self.postMessage(out);
        } catch (e) {
          self.postMessage({ error: String((e && (e.stack || e.message)) || e) });
        }
      };
      self.postMessage('ready');`,
  })]);
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(`${site.url}/scenarios.html`);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 10000 });
});
after(async () => { await browser?.close(); await site?.close(); });

async function serverFor(t, options) {
  const server = await startAuthServer(options);
  t.after(() => server.close());
  return server;
}

const run = (args) => page.evaluate((a) => window.run(a), args);
const unique = (xs) => [...new Set(xs)];

for (const n of [5, 100]) {
  test(`Chromium: ${n} requests with an expired token make one refresh; all 200, each sent once with the new token`, async (t) => {
    const server = await serverFor(t);
    const tokens = await server.issueTokens({ ttl: -60 });
    const out = await run({ base: server.url, tokens, n });
    assert.deepEqual(unique(out.results), [200]);
    assert.equal(server.refreshCalls, 1);
    const sent = server.apiLog('/api/b/');
    assert.equal(sent.length, n, 'each sent exactly once');
    assert.deepEqual(unique(sent.map((r) => r.auth)), [`Bearer ${server.issued.at(-1).accessToken}`]);
    assert.deepEqual(out.types.slice(2), ['authlane/refreshStarted', 'authlane/refreshSucceeded']);
    for (const { accessToken, refreshToken } of server.issued) {
      assert.ok(!out.actionsJson.includes(accessToken) && !out.actionsJson.includes(refreshToken), 'no token in actions');
    }
  });
}

test('Chromium: 100 requests rejected with 401 make one refresh and are resent with the new token', async (t) => {
  const server = await serverFor(t);
  const tokens = await server.issueTokens();
  server.expireAllAccessTokens();
  const out = await run({ base: server.url, tokens, n: 100, path: '/api/r/' });
  assert.deepEqual(unique(out.results), [200]);
  assert.equal(server.refreshCalls, 1);
  const fresh = `Bearer ${server.issued.at(-1).accessToken}`;
  for (let i = 0; i < 100; i++) {
    const auths = server.log.filter((r) => r.path === `/api/r/${i}`).map((r) => r.auth);
    assert.ok(auths.length <= 2 && auths.at(-1) === fresh, `request ${i}: ${auths.length} sends`);
  }
});

test('Chromium: another origin never sees the Authorization header (nor a preflight asking for it)', async (t) => {
  const server = await serverFor(t);
  const other = await startEchoServer();
  t.after(() => other.close());
  const tokens = await server.issueTokens({ ttl: -60 });
  const out = await run({ base: server.url, tokens, n: 3, path: `${other.url}/x/`, then: ['/api/own', `${other.url}/y`] });
  assert.deepEqual(out.results, [200, 200, 200]);
  assert.deepEqual(out.after, [200, 200]);
  assert.equal(other.seen.length, 4);
  assert.ok(other.sawNoAuth());
  assert.equal(server.refreshCalls, 1, 'only the own-origin request refreshed');
  assert.equal(server.log.find((r) => r.path === '/api/own').auth, `Bearer ${server.issued.at(-1).accessToken}`);
});

test('Chromium: a definitive refresh failure rejects every held request SESSION_EXPIRED', async (t) => {
  const server = await serverFor(t);
  server.failRefresh(401);
  const out = await run({ base: server.url, tokens: await server.issueTokens({ ttl: -60 }), n: 5, then: ['/api/after'] });
  assert.deepEqual(unique(out.results), ['SESSION_EXPIRED']);
  assert.deepEqual(out.after, [401], 'afterwards: no session, sent bare, returned as is');
  assert.equal(out.authenticated, false);
  assert.equal(server.refreshCalls, 1);
  assert.equal(out.types.filter((x) => x === 'authlane/sessionExpired').length, 1);
  assert.equal(server.log.at(-1).auth, null);
});

test('Chromium: a transient failure is REFRESH_FAILED with tokens kept, and the next request recovers', async (t) => {
  const server = await serverFor(t);
  server.failRefresh(503, 2);
  const out = await run({ base: server.url, tokens: await server.issueTokens({ ttl: -60 }), n: 5, then: ['/api/again'] });
  assert.deepEqual(unique(out.results), ['REFRESH_FAILED']);
  assert.deepEqual(out.after, [200]);
  assert.equal(out.authenticated, true);
  assert.equal(server.refreshCalls, 3, '2 attempts, then 1 for the next request');
  assert.equal(server.apiLog().length, 1);
});

test('Chromium: a module Web Worker uses the client and refreshes once', async (t) => {
  const server = await serverFor(t);
  const tokens = await server.issueTokens({ ttl: -60 });
  const result = await page.evaluate(({ base, tokens }) => new Promise((resolve, reject) => {
    const worker = new Worker('/worker.js', { type: 'module' });
    const timer = setTimeout(() => reject(new Error('worker did not answer in 10 s')), 10000);
    worker.onerror = (e) => reject(new Error('worker failed: ' + e.message));
    worker.onmessage = ({ data }) => {
      if (data === 'ready') return worker.postMessage({ base, tokens });
      clearTimeout(timer);
      worker.terminate();
      resolve(data);
    };
  }), { base: server.url, tokens });
  assert.equal(result.error, undefined, result.error);
  assert.deepEqual(result.statuses, [200, 200, 200, 200, 200]);
  assert.equal(result.authenticated, true);
  assert.equal(server.refreshCalls, 1);
  assert.equal(result.token, server.issued.at(-1).accessToken);
  assert.deepEqual(unique(server.apiLog('/api/worker/').map((r) => r.auth)), [`Bearer ${result.token}`]);
});

test('Chromium: no uncaught errors on the page', () => {
  assert.deepEqual(pageErrors, []);
});
