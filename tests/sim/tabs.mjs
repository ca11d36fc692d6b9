// The tabs simulation: two or three tabs of one browser, each a client of the built package with
// `webStorage(localStorage)` and cross-tab on (the default where `navigator.locks` exists), each
// with its own `navigator.locks` view and BroadcastChannel class, all sharing one localStorage
// whose writes reach the other tabs late and one key at a time (storage.mjs), one lock manager
// (locks.mjs) and one channel relay whose messages may overtake the writes they announce
// (channel.mjs), against a server that rotates refresh tokens and revokes the family when a spent
// one comes back (server.mjs).
// Per seed: tokens living 5 s, 30 s or 15 min; a JSON or an OAuth 2.0 endpoint, a fifth of the
// runs without rotation; storage that starts with an expired pair, a valid pair or nothing; half
// the runs with auto refresh on in every tab. Then 40 steps at seeded intervals: requests in any
// tab, refresh plans (rotate, transient, garbage, definitive, hang, reset, OAuth 2.0
// invalid_client, and freeze: the tab freezes as its call would leave, for longer than the lock
// timeout), logins and logouts (with revocation) in any tab, a tab frozen for a while (never with
// a refresh call out: see network.mjs), a tab reloaded (disposed and created again on its
// storage), getAccessToken(), the server revoking every access token, the device sleeping.
// Not modelled: a lost answer after rotation, or a tab closed with its refresh call out (no client
// can keep another tab from presenting the refresh token that rotation spent, when it never learns
// of the rotation); storage that fails.
//
// Invariants, checked as things happen (tabs-checks.mjs) and at the end: the list below.
import { createAuthClient, webStorage } from 'authlane';
import { random } from './random.mjs';
import { scheduler } from './scheduler.mjs';
import { authServer, API, FOREIGN } from './server.mjs';
import { network } from './network.mjs';
import { sharedStore } from './storage.mjs';
import { lockManager } from './locks.mjs';
import { channels } from './channel.mjs';
import { observer, startTrace, naming, note, traceLines, coreSession } from './observe.mjs';
import { claimsOf, alias, redact } from './tokens.mjs';
import { tabsChecks, KEY } from './tabs-checks.mjs';

const STEPS = 40;
/** A request may wait this long, plus the time its tab was frozen (two lock waits, flights). */
const HANG_MS = 30_000;

// checks:
// - every request and API call settles, within HANG_MS of virtual time (its tab's freezes aside);
// - no refresh token is presented that its tab could know was spent (the server detects every
//   reuse; one that no client could avoid is counted: see tabs-checks.mjs);
// - no token goes to a foreign origin; no request is sent more than twice, nor again with the
//   token it was rejected with;
// - no tab has two refresh calls out at once;
// - a request carries the token its tab holds then, and never one expired by the server's clock
//   while its tab holds a refresh token (the clock is right here, unless the device slept with a
//   call out);
// - a tab takes another tab's news (a refresh's or a login's pair, a logout, an end) within 1 s of
//   the write reaching its storage, whatever the order of message and write;
// - a tab's refresh call presents the refresh token issued with the access token it holds;
// - logout() revokes the refresh token its tab's storage held (the live one, once another tab's
//   rotation reached it; or, once the logout waited for a refresh that held the call lock, the
//   one that refresh wrote), never one it could know was spent;
// - no tokens are written after a logout() removed the session in any tab, until a login() (a
//   refresh under the call lock when the logout asked for it writes before the removal); unless
//   the tab that logged out reloaded before the end of its hold on the call lock (250 ms after
//   its removal, for the removal to reach the other tabs' storage): a tab that takes the lock
//   then may read the old pair and refresh it. Counted as `cutHolds`; the refreshing tab then
//   logs out itself when the logout's message names the pair it refreshed;
// - a session ends only after a definitive refusal (or another tab's end), sessionExpired once a
//   session; a request fails only with a documented code;
// - no token in any action or error; session() answers for the tab's state;
// - at the end, every tab holds the pair storage holds (or none), its actions folded by
//   authReducer agree with session(), and a disposed tab leaves no timer behind.

/** Runs seed `seed`; resolves with `{ violations, trace, stats }`. */
export async function simulateTabs(seed, { trace: tracing = false } = {}) {
  const rand = random(seed);
  const sched = scheduler(rand.fork());
  const violations = [];
  const violation = (text) => violations.push(`${(sched.mono / 1000).toFixed(3)}s ${text}`);
  startTrace(sched, tracing);
  const cov = { seeds: 1, requests: 0, tokenSends: 0, overtakingMessages: 0, splitReads: 0, freezes: 0, frozenCalls: 0, logins: 0, logouts: 0, reloads: 0, revokedLive: 0 };
  const count = (k) => { cov[k] = (cov[k] || 0) + 1; };

  const ttlMs = rand.pick([5_000, 30_000, 900_000]);
  const oauth2 = rand.chance(0.5);
  const rotates = rand.chance(0.8);
  const server = authServer({ sched, rand: rand.fork(), ttlMs, rotates, oauth2 });
  server.sendsDate = true;
  const auto = rand.chance(0.5);
  const retry = { attempts: 2, baseDelayMs: 100, maxDelayMs: 400 };
  const refreshTimeoutMs = 1_000;
  const lockTimeoutMs = retry.attempts * refreshTimeoutMs + (retry.attempts - 1) * retry.maxDelayMs + 1_000;
  const names = Array.from({ length: 2 + rand.int(2) }, (_, i) => `t${i}`);
  note(`world: ${names.length} tabs, ttl ${ttlMs} ms, ${oauth2 ? 'oauth2' : 'json'}${rotates ? ' rotating' : ''}, auto ${auto}`);

  const tabs = new Map(); // name -> one tab: its client, observer and record
  const tabOf = (name) => tabs.get(name);
  const reqs = new Map();
  let nextReq = 1;
  const pending = new Set();
  const freezes = []; // { tab, from, to }
  const frozenFor = (tab, from, to) => freezes.reduce((sum, f) => (f.tab === tab ? sum + Math.max(0, Math.min(f.to, to) - Math.max(f.from, from)) : sum), 0);
  let store = null;
  let net = null;
  const checks = tabsChecks({ sched, rand, server, oauth2, violation, count, tabOf, reqs, store: () => store, net: () => net, lockTimeoutMs });
  const { w, world } = checks;
  store = sharedStore({ sched, rand: rand.fork(), contexts: names, onWrite: checks.onWrite });
  const locks = lockManager({ sched, rand: rand.fork(), onEvent: (what, name, ctx) => note(`lock ${name.replace('authlane.', '')} ${what} ${ctx}`) });
  const chans = channels({ sched, rand: rand.fork(), onDeliver: checks.onDeliver });
  net = network({ sched, rand: rand.fork(), server, world });

  // Storage as the previous visit left it.
  const start = rand.pick(['expired', 'expired', 'valid', 'none']);
  if (start !== 'none') {
    const t = server.issue({ ttl: start === 'expired' ? -1_000 : ttlMs });
    store.seed(KEY.access, t.access);
    store.seed(KEY.refresh, t.refresh);
    note(`stored: A${t.pair} (${start})`);
  }

  const optionsFor = (name, obs) => ({
    baseUrl: API,
    refresh: oauth2 ? { url: '/oauth/token', grant: 'oauth2', clientId: 'app' } : { url: '/auth/refresh' },
    storage: webStorage(store.view(name, (op, key) => checks.onStorage(name, op, key))),
    fetch: net.fetchFor(name),
    dispatch: (action) => obs.dispatch(action),
    refreshTimeoutMs,
    timeoutMs: 5_000,
    refreshRetry: retry,
    revoke: { url: '/auth/revoke' },
  });

  /** Opens tab `name` (again): its globals, then createAuthClient. */
  async function open(name) {
    const obs = observer(name, violation);
    const t = tabs.get(name) || { name, logoutReads: [] };
    Object.assign(t, { obs, client: null, disposed: false, holdsRefresh: () => { const s = coreSession(name); return Boolean(s && s.authenticated); } });
    tabs.set(name, t);
    obs.onAction = (a) => {
      note(`action ${name} ${a.type.slice(9)} ${redact(JSON.stringify(a.payload)).slice(0, 100)}`);
      if (a.type === 'authlane/sessionExpired') {
        const reason = a.payload.reason;
        count(`sessionExpired:${reason}`);
        const ok = reason === 'other_tab' ? w.refusals > 0 : (reason === 'refresh_rejected' || reason === 'lost_rotation') && obs.refusals > 0;
        if (!ok) violation(`${name}: sessionExpired (${reason}) without a definitive refusal`);
      }
      if (a.type === 'authlane/loggedIn' || a.type === 'authlane/refreshSucceeded') count('taken');
    };
    Object.defineProperty(globalThis, 'navigator', { value: { locks: locks.view(name) }, configurable: true, writable: true });
    Object.defineProperty(globalThis, 'BroadcastChannel', { value: chans.classFor(name), configurable: true, writable: true });
    const made = { settled: false, what: `${name}: createAuthClient`, madeAt: sched.mono, tab: name };
    pending.add(made);
    await sched.enter(name, () => naming(name, () => createAuthClient(optionsFor(name, obs)).then((c) => {
      t.client = c;
      made.settled = true;
      pending.delete(made);
      if (auto) c.startAutoRefresh();
    }, (error) => {
      made.settled = true;
      pending.delete(made);
      violation(`${name}: createAuthClient rejected: ${error && error.code} ${redact(String(error && error.message))}`);
    })));
    await sched.run(sched.mono + 2_000, () => made.settled);
    if (!made.settled) violation(`${name}: createAuthClient did not resolve`);
    return t;
  }
  for (const name of names) await open(name);

  const live = () => names.map(tabOf).filter((t) => t.client && !t.disposed);
  const awake = () => live().filter((t) => !sched.isFrozen(t.name));

  // Checks after every task: nothing hangs; session() answers for the tab's state; news is taken.
  sched.afterTask = () => {
    for (const p of pending) {
      if (!p.late && sched.mono - p.madeAt - frozenFor(p.tab, p.madeAt, sched.mono) > HANG_MS) {
        p.late = true;
        violation(`${p.what} has waited ${HANG_MS / 1000} s (its tab's freezes aside)`);
      }
    }
    for (const t of live()) {
      const held = coreSession(t.name);
      const shown = t.client.session();
      if (JSON.stringify(shown) !== JSON.stringify(held)) {
        if (!t.staleSession) violation(`${t.name}: session() says ${redact(JSON.stringify(shown))}, the tab holds ${redact(JSON.stringify(held))}`);
        t.staleSession = true;
      }
      checks.news(t, held);
    }
  };

  function request(t) {
    const id = nextReq++;
    const foreign = rand.chance(1 / 16);
    const method = rand.chance(0.3) ? 'POST' : 'GET';
    const body = method === 'POST' ? `{"n":${id}}` : null;
    const url = foreign ? `${FOREIGN}/x/${id}` : `/items/${id}`;
    const r = { id, what: `${t.name}'s request ${id}`, tab: t.name, method, body, sends: 0, settled: false, madeAt: sched.mono, firstToken: null };
    reqs.set(id, r);
    pending.add(r);
    count('requests');
    note(`${t.name}: request ${id}${foreign ? ' (foreign)' : ''}`);
    t.client.fetch(url, { method, ...(body ? { body } : {}) }).then((response) => {
      r.settled = true;
      pending.delete(r);
      note(`${t.name}: request ${id} -> ${response.status}`);
    }, (error) => {
      r.settled = true;
      pending.delete(r);
      const code = t.obs.rejected(error, `request ${id}`);
      note(`${t.name}: request ${id} -> ${code}`);
    });
  }

  const track = (t, what, promise, codes, onValue) => {
    const c = { what: `${t.name}: ${what}`, tab: t.name, settled: false, madeAt: sched.mono };
    pending.add(c);
    promise.then((value) => {
      c.settled = true;
      pending.delete(c);
      if (onValue) onValue(value);
    }, (error) => {
      c.settled = true;
      pending.delete(c);
      t.obs.rejected(error, what, codes);
    });
  };

  for (let step = 0; step < STEPS; step++) {
    const gap = rand.weighted([[50, () => rand.between(0, 5)], [35, () => rand.between(5, 300)], [15, () => rand.between(300, 15_000)]])();
    await sched.run(sched.mono + gap);
    const t = rand.pick(awake().length > 0 ? awake() : live());
    if (!t) break;
    const what = rand.int(16);
    await sched.enter(t.name, () => {
      switch (what) {
        case 0: case 1: case 2: case 3: case 4:
          return request(t);
        case 5: {
          const plan = rand.weighted([[4, 'rotate'], [3, 'transient'], [2, 'freeze'], [1, 'hang'], [1, 'reset'], [1, 'garbage'], [1, 'definitive'], ...(oauth2 ? [[1, 'misconfigured']] : [])]);
          server.plans.push(plan);
          return note(`server: next refresh ${plan}`);
        }
        case 6: {
          const tokens = server.issue({ ttl: rand.chance(0.2) ? -1_000 : ttlMs, user: 1 + rand.int(3) });
          w.logouts = [];
          count('logins');
          note(`${t.name}: login() A${tokens.pair}`);
          t.obs.sessionBegins();
          // What the tab reads from now on is the new session's: not what its logout revokes.
          for (const entry of t.logoutReads) entry.open = false;
          const login = t.client.login({ accessToken: tokens.access, refreshToken: tokens.refresh });
          return track(t, 'login()', login, new Set(['LOGGED_OUT', 'SESSION_EXPIRED']));
        }
        case 7: {
          count('logouts');
          // What the tab's storage holds now, or shows it while it logs out (it waits for the
          // call lock, and for the write of a refresh that held it): the refresh token its
          // logout() must revoke (it revokes when the tab has a session).
          const entry = { values: new Set([store.view(t.name).getItem(KEY.refresh)]), open: true };
          if (coreSession(t.name).authenticated) {
            t.logoutReads.push(entry);
            w.logouts.push({ by: t.name, removed: false });
          }
          note(`${t.name}: logout()`);
          const logout = t.client.logout();
          t.loggingOut = (t.loggingOut || 0) + 1;
          const close = () => { entry.open = false; t.loggingOut--; };
          logout.then(close, close);
          return track(t, 'logout()', logout, new Set(['LOGGED_OUT']), (v) => {
            if (!v || typeof v.revoked !== 'boolean') violation(`${t.name}: logout() resolved with ${JSON.stringify(v)}`);
          });
        }
        case 8: {
          const ms = rand.pick([1_000, 40_000]);
          note(`the device sleeps ${ms} ms`);
          w.sleeps++;
          sched.deviceOffset += ms;
          sched.serverOffset += ms;
          return undefined;
        }
        case 9: {
          if (net.refreshOut(t.name) > 0) return undefined;
          const ms = rand.weighted([[3, () => rand.between(100, 1_000)], [2, () => rand.between(1_000, lockTimeoutMs * 3)]])();
          note(`${t.name} frozen for ${ms} ms`);
          count('freezes');
          sched.freeze(t.name, ms);
          freezes.push({ tab: t.name, from: sched.mono, to: sched.mono + ms });
          return undefined;
        }
        case 10:
          return 'reload';
        case 11:
          note(`${t.name}: getAccessToken()`);
          return track(t, 'getAccessToken()', t.client.getAccessToken(), new Set(['REFRESH_FAILED', 'BAD_REFRESH_RESPONSE', 'LOGGED_OUT', 'SESSION_EXPIRED']), (token) => {
            if (typeof token === 'string') {
              const s = coreSession(t.name);
              if (!s || !s.claims || claimsOf(token).pair !== s.claims.pair) violation(`${t.name}: getAccessToken() resolved with ${alias(token)}, the tab holds ${s && s.claims ? 'A' + s.claims.pair : 'none'}`);
            }
          });
        case 12:
          note('server: every access token revoked');
          return server.revokeAllAccess();
        default:
          return undefined;
      }
    }).then(async (then) => {
      // A tab closed with its refresh call out loses the rotation's answer: no client can keep
      // another tab from presenting the spent refresh token then (not modelled, as `lost`).
      if (then !== 'reload' || sched.isFrozen(t.name) || net.refreshOut(t.name) > 0) return;
      count('reloads');
      note(`${t.name}: reload`);
      checks.onReload(t.name);
      await dispose(t);
      store.reopen(t.name);
      await open(t.name);
      tabOf(t.name).openedAt = sched.mono;
    });
  }

  async function dispose(t) {
    t.obs.agreesOrLate = true;
    await sched.enter(t.name, () => {
      t.disposed = true;
      t.client.dispose();
    });
    locks.close(t.name); // the browser closes the tab: whatever it held is let go
    await sched.run(sched.mono); // what dispose() set going at once
    if (sched.shellTimers(t.name) > 0) violation(`${t.name}: dispose() left ${sched.shellTimers(t.name)} timers`);
  }

  // Every tab wakes; auto refresh stops; the world runs until nothing is left to happen.
  if (auto) for (const t of live()) await sched.enter(t.name, () => t.client.stopAutoRefresh());
  await sched.run(sched.mono + 600_000);
  if (sched.nextAt() !== Infinity) violation('the world never went quiet');
  for (const r of reqs.values()) if (!r.settled) violation(`${r.tab}'s request ${r.id} never settled`);
  for (const p of pending) violation(`${p.what} never settled`);

  checks.atEnd(live());
  for (const t of live()) await dispose(t);
  violations.push(...sched.errors);
  cov.tasks = sched.ran;
  return { violations, trace: traceLines(), stats: cov };
}
