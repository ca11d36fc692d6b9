// Two tabs, as browsers run them: one Web Lock between them, and localStorage that each tab's
// process sees the other's writes in only after a delay (Chromium shares it between renderer
// processes asynchronously). CI once saw the 5-tab Chromium test make a second refresh call: the
// tab that got the lock next read storage before the first tab's write had reached it, and spent
// the rotated refresh token again. A tab that had to wait for the lock now waits, briefly, for
// storage to move before the core reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientFor, serverFor, settleAll, assertAll } from '../support/harness.mjs';

/** navigator.locks for one process: exclusive, first come first served, ifAvailable and signal. */
function webLocks() {
  const held = new Map(); // name -> queue of waiting grants
  const busy = new Set();
  const grant = (name) => {
    const queue = held.get(name) || [];
    const next = queue.shift();
    if (!next) return busy.delete(name);
    next();
  };
  return {
    request(name, options, callback) {
      return new Promise((resolve, reject) => {
        const run = () => {
          busy.add(name);
          Promise.resolve(callback({ name })).then(resolve, reject).finally(() => grant(name));
        };
        if (!busy.has(name)) return run();
        if (options.ifAvailable) return Promise.resolve(callback(null)).then(resolve, reject);
        if (!held.has(name)) held.set(name, []);
        const queue = held.get(name);
        queue.push(run);
        options.signal?.addEventListener('abort', () => {
          const i = queue.indexOf(run);
          if (i >= 0) queue.splice(i, 1);
          reject(options.signal.reason);
        }, { once: true });
      });
    },
  };
}

/** One localStorage seen from two tabs: a tab sees its own writes at once, the other's `lagMs` later. */
function laggingStorage(lagMs) {
  const log = []; // [key, value, tab, at]
  const view = (tab) => ({
    getItem(key) {
      for (let i = log.length - 1; i >= 0; i--) {
        const [k, v, by, at] = log[i];
        if (k === key && (by === tab || Date.now() >= at + lagMs)) return v;
      }
      return null;
    },
    setItem(key, value) { log.push([key, value, tab, Date.now()]); },
    removeItem(key) { log.push([key, null, tab, Date.now()]); },
  });
  return { a: view('a'), b: view('b') };
}

test('two tabs with an expired token: the second waits for the first one\'s write instead of spending its refresh token again', async (t) => {
  const previous = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
  Object.defineProperty(globalThis, 'navigator', { value: { locks: webLocks() }, configurable: true, writable: true });
  t.after(() => (previous ? Object.defineProperty(globalThis, 'navigator', previous) : delete globalThis.navigator));
  const server = await serverFor(t);
  const tokens = await server.issueTokens({ ttl: -60 });
  const storage = laggingStorage(60);
  for (const tab of [storage.a, storage.b]) {
    tab.setItem('authlane.accessToken', tokens.accessToken);
    tab.setItem('authlane.refreshToken', tokens.refreshToken);
  }
  await new Promise((r) => setTimeout(r, 80)); // both tabs see the stored session
  const tabs = [];
  for (const view of [storage.a, storage.b]) {
    tabs.push((await clientFor(t, server, { storage: view, crossTab: true })).client);
  }
  const results = await settleAll(tabs.flatMap((client) => [client.fetch('/api/a'), client.fetch('/api/b')]));
  assertAll(results, 200);
  const figures = `${server.refreshCalls} refresh calls, ${server.reuseDetected} reuses detected`;
  assert.equal(server.reuseDetected, 0, figures);
  assert.equal(server.refreshCalls, 1, figures);
});
