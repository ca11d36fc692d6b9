// Issue 21, the lock's loose ends, in real Chromium: the cross-tab refresh lock ('authlane.refresh')
// must never outlive what holds it. A client disposed while acquiring, holding or queued for it
// (React StrictMode mounts, disposes and mounts again at once) leaves no lock held or pending,
// and a tab closed while holding it frees the other tabs at once. "At once" is measured against
// the lock timeout: attempts × refreshTimeoutMs + (attempts − 1) × maxDelayMs + 1 s = 3.4 s here,
// which is how long a tab would wait for a lock left behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';
import { startAuthServer } from '../support/server.mjs';

const options = { refreshTimeoutMs: 1000, refreshRetry: { attempts: 2, baseDelayMs: 100, maxDelayMs: 400 } };
const LOCK_TIMEOUT_MS = 2 * 1000 + 400 + 1000;
const AT_ONCE_MS = 1000; // a refresh at a local server takes milliseconds; a lock left behind costs 3.4 s

// The page logs what happens to the lock: every request for it, every grant, every release (the
// held callback's promise settling), so a test knows which phase a dispose really hit.
const tab = `
import * as a from 'authlane';
window.authlane = a;
const NAME = 'authlane.refresh';
window.lockLog = [];
const request = navigator.locks.request.bind(navigator.locks);
navigator.locks.request = (name, opts, cb) => {
  if (name !== NAME) return request(name, opts, cb);
  if (typeof opts === 'function') [opts, cb] = [{}, opts];
  lockLog.push('requested');
  return request(name, opts, (lock) => {
    lockLog.push(lock ? 'granted' : 'unavailable'); // null: an ifAvailable request found it held
    const held = Promise.resolve(cb(lock));
    if (lock) held.finally(() => lockLog.push('released'));
    return held;
  });
};
window.make = (base, options) => a.createAuthClient({ baseUrl: base, refresh: { url: '/refresh' }, storage: a.webStorage(localStorage), ...options });
window.locksNow = async () => {
  const q = await navigator.locks.query();
  const mine = (l) => l.name === NAME;
  return { held: q.held.filter(mine).length, pending: q.pending.filter(mine).length };
};
// Polls until the origin's 'authlane.refresh' locks are { held, pending } as wanted (or ms pass);
// returns the last state seen.
window.waitLocks = async (want, ms = 1000) => {
  const end = performance.now() + ms;
  for (;;) {
    const s = await locksNow();
    if ((s.held === want.held && s.pending === want.pending) || performance.now() > end) return s;
    await new Promise((r) => setTimeout(r, 20));
  }
};
// A fresh client's refresh(): how long it took and how it ended.
window.timedRefresh = async (base, options) => {
  const c = await make(base, options);
  const t0 = performance.now();
  let outcome = 'ok';
  try { await c.refresh(); } catch (e) { outcome = e.code || String(e); }
  const ms = Math.round(performance.now() - t0);
  c.dispose();
  return { ms, outcome };
};
window.ready = true;
`;

let browser, site, server;
before(async () => {
  [browser, server] = await Promise.all([launch(), startAuthServer()]);
  site = await serveStatic({ '/tab.html': modulePage(tab) });
});
after(async () => { await browser?.close(); await site?.close(); await server?.close(); });

/** n tabs of one context (shared localStorage and locks) with an expired token stored. */
async function openTabs(n) {
  server.reset();
  const context = await browser.newContext();
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
  return { context, pages };
}

const until = async (what, check, ms = 3000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
const waitLocks = (page, want) => page.evaluate((want) => window.waitLocks(want), want);
const FREE = { held: 0, pending: 0 };
const ONE_QUEUED = { held: 1, pending: 1 };
const timedRefresh = (page) => page.evaluate(({ base, options }) => window.timedRefresh(base, options), { base: server.url, options });

/** After a disposal: no lock left, and a client in the same tab and one in another refresh at once. */
async function assertNothingLeft(same, other, phase) {
  assert.deepEqual(await waitLocks(same, FREE), FREE, `no lock left after a dispose while ${phase}`);
  for (const [where, page] of [['another tab', other], ['the same tab', same]]) {
    // Tabs may live in different renderer processes, where one tab's localStorage write reaches
    // the other asynchronously. A client that read the old token and then finds the other tab's
    // newer one under the lock adopts it without calling the server (the rotation rule), so the
    // second refresh would not be counted: wait until this tab sees what the other wrote.
    const stored = await other.evaluate(() => localStorage.getItem('authlane.refreshToken'));
    await until(`${where} sees the stored token`, () => page.evaluate((t) => localStorage.getItem('authlane.refreshToken') === t, stored));
    const { ms, outcome } = await timedRefresh(page);
    assert.equal(outcome, 'ok', `${where}: refresh after a dispose while ${phase}`);
    assert.ok(ms < AT_ONCE_MS, `${where}: refresh took ${ms} ms after a dispose while ${phase} (lock timeout ${LOCK_TIMEOUT_MS} ms)`);
  }
  assert.equal(server.reuseDetected, 0);
}

test('a client disposed while acquiring the lock (StrictMode: create, refresh, dispose at once) leaves no lock behind', async () => {
  const { context, pages: [a, b] } = await openTabs(2);
  // The literal StrictMode sequence, and a dispose right after the lock was asked for (before the
  // browser grants it: a grant takes a round trip to the browser process, a microtask does not).
  const phases = await a.evaluate(async ({ base, options }) => {
    const strict = await make(base, options);
    const first = strict.refresh().then(() => 'ok', (e) => e.code);
    strict.dispose();
    const strictOutcome = await first;
    lockLog.length = 0;
    const c = await make(base, options);
    let atDispose = null;
    c.subscribe((action) => {
      if (action.type === 'authlane/refreshStarted') queueMicrotask(() => { atDispose = [...lockLog]; c.dispose(); });
    });
    const outcome = await c.refresh().then(() => 'ok', (e) => e.code);
    return { strictOutcome, outcome, atDispose };
  }, { base: server.url, options });
  assert.equal(phases.strictOutcome, 'LOGGED_OUT');
  assert.equal(phases.outcome, 'LOGGED_OUT');
  assert.deepEqual(phases.atDispose, ['requested'], 'disposed after asking for the lock, before it was granted');
  await assertNothingLeft(a, b, 'acquiring');
  await context.close();
});

test('a client disposed while holding the lock (its refresh call hanging) leaves no lock behind', async () => {
  const { context, pages: [a, b] } = await openTabs(2);
  server.failRefresh('timeout', 1);
  await a.evaluate(({ base, options }) => make(base, options).then((c) => {
    window.c = c;
    window.outcome = c.refresh().then(() => 'ok', (e) => e.code);
  }), { base: server.url, options });
  await until('the refresh call at the server', () => server.refreshCalls === 1);
  assert.deepEqual(await a.evaluate(() => lockLog), ['requested', 'granted'], 'the client holds the lock');
  assert.equal(await a.evaluate(() => { window.c.dispose(); return window.outcome; }), 'LOGGED_OUT');
  await assertNothingLeft(a, b, 'holding');
  await context.close();
});

test('a client disposed while queued for the lock leaves no lock behind (not even a pending request)', async () => {
  const { context, pages: [a, b] } = await openTabs(2);
  // Tab B holds the lock until told to let go.
  await b.evaluate(() => new Promise((granted) => {
    navigator.locks.request('authlane.refresh', () => new Promise((release) => { window.letGo = release; granted(); }));
  }));
  await a.evaluate(({ base, options }) => make(base, options).then((c) => {
    window.c = c;
    window.outcome = c.refresh().then(() => 'ok', (e) => e.code);
  }), { base: server.url, options });
  assert.deepEqual(await waitLocks(a, ONE_QUEUED), ONE_QUEUED, "A's client is queued behind B");
  assert.equal(await a.evaluate(() => { window.c.dispose(); return window.outcome; }), 'LOGGED_OUT');
  // While B still holds it, A's request must be gone: a queued request left behind would take the
  // lock later, for a client that no longer exists.
  const whileHeld = await waitLocks(a, { held: 1, pending: 0 });
  assert.deepEqual(whileHeld, { held: 1, pending: 0 }, "B's lock stays, A's queued request is withdrawn");
  await b.evaluate(() => window.letGo());
  assert.deepEqual(await waitLocks(a, FREE), FREE);
  // It asked whether the lock was free (it was not), then queued.
  assert.deepEqual(await a.evaluate(() => lockLog), ['requested', 'unavailable', 'requested'], 'the disposed client never took the lock');
  await assertNothingLeft(a, b, 'queued');
  assert.equal(server.refreshCalls, 2, 'only the two later refreshes called the server');
  await context.close();
});

test('a tab closed while holding the lock frees the other tabs at once', async () => {
  const { context, pages: [a, b] } = await openTabs(2);
  server.failRefresh('timeout', 1); // A's refresh call hangs at the server
  const fetchOne = (page, path) => page.evaluate(({ base, options, path }) => make(base, options).then((c) => {
    window.c = c;
    return c.fetch(path).then((r) => r.status, (e) => e.code || String(e));
  }), { base: server.url, options, path });
  fetchOne(a, '/api/a').catch(() => {}); // never settles: the page closes under it
  await until('the refresh call at the server', () => server.refreshCalls === 1);
  const bResult = fetchOne(b, '/api/b');
  assert.deepEqual(await waitLocks(b, ONE_QUEUED), ONE_QUEUED, 'B waits for the lock A holds');
  const closed = Date.now();
  await a.close();
  assert.equal(await bResult, 200);
  const waited = Date.now() - closed;
  assert.ok(waited < AT_ONCE_MS, `B finished ${waited} ms after A closed (lock timeout ${LOCK_TIMEOUT_MS} ms)`);
  assert.equal(server.refreshCalls, 2);
  assert.equal(server.reuseDetected, 0);
  assert.deepEqual(await waitLocks(b, FREE), FREE);
  await context.close();
});
