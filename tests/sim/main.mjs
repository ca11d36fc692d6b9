// The main simulation: one client of the built package (its JS shell and wasm) in a seeded world.
// Per seed: tokens living 5 s, 30 s or 15 min; a server clock 10 minutes ahead of the device,
// behind it, or agreeing; an API that sends `Date` or not; a JSON or an OAuth 2.0 refresh
// endpoint, rotating or not; a quarter of the runs in cookie mode; half with AsyncStorage-like
// storage (queued, delayed operations), half with synchronous storage; half starting from stored
// tokens of every age (expired long ago, an hour ago, inside the leeway, valid), half with a
// login; half with auto refresh on; half with revocation on logout.
// Then a random script of 30 steps at seeded intervals: requests (GET and POST with a body, to the
// API, an eighth to a foreign origin; some with an AbortSignal, some retried by the app the moment
// they fail, as a "try again" button or a query library does), aborts, server-side revocation of
// every access token, refresh plans (rotate, definitive, transient, garbage, hang past the
// timeout, a lost answer after rotation, OAuth 2.0 invalid_client, a reset connection), an API
// that starts or stops refusing every token, logout, login (also of tokens already expired, and
// without a refresh token), getAccessToken(), refresh(), the device sleeping (both clocks move)
// and the device clock set back and forth mid-session (the server's does not move).
// With auto refresh on, a calm minute follows (the endpoint answers, the API accepts). Then the
// world runs until nothing is left to happen, and the client is disposed and created again on
// the same storage.
//
// Checked as things happen (main-checks.mjs: every send, refresh call, revocation, storage call
// and sessionExpired) and here:
// - every request and API call settles, within HANG_MS of virtual time; an aborted request
//   rejects at once with AbortError; a request fails only with a documented code;
// - a request made the moment another failed with REFRESH_FAILED or BAD_REFRESH_RESPONSE makes a
//   refresh call of its own (API.md: the next request after a failure tries again);
// - no timer loop: timer refreshes at most one per token given plus one per 500 ms; with auto
//   refresh on and the endpoint answering, the token held never expires (once the timer's backoff
//   and its next look after a sleep or a clock change are over, and when the client could know);
// - session() answers for the client's state after every task; authReducer over the actions
//   agrees with it at the end, and no refresh is left "in progress";
// - at the end storage holds the pair the client holds (or nothing), an app started again on it
//   restores the same session, and dispose() leaves no timer;
// - no task throws, no promise rejection goes unhandled.
import { createAuthClient } from 'authlane';
import { random } from './random.mjs';
import { scheduler } from './scheduler.mjs';
import { authServer, API, FOREIGN } from './server.mjs';
import { network } from './network.mjs';
import { sharedStore, asyncStorage } from './storage.mjs';
import { observer, startTrace, naming, note, traceLines, coreSession } from './observe.mjs';
import { claimsOf, alias, redact } from './tokens.mjs';
import { mainChecks, KEY } from './main-checks.mjs';

const CTX = 'main';
const OFFLINE_CODES = new Set(['SESSION_EXPIRED', 'REFRESH_FAILED', 'BAD_REFRESH_RESPONSE', 'LOGGED_OUT', 'TIMEOUT', 'NETWORK_ERROR']);
const STEPS = 30;
/**
 * The longest a request or an API call may take here: two refresh flights (every attempt with its
 * timeout and backoff), two sends at the API's timeout, and slow hops; nothing else waits.
 */
const HANG_MS = 30_000;

/** Runs seed `seed`; resolves with `{ violations, trace, stats }`. */
export async function simulateMain(seed, { trace: tracing = false } = {}) {
  const rand = random(seed);
  const sched = scheduler(rand.fork());
  const violations = [];
  const violation = (text) => violations.push(`${(sched.mono / 1000).toFixed(3)}s ${text}`);
  startTrace(sched, tracing);

  // The world's parameters.
  const ttlMs = rand.pick([5_000, 30_000, 900_000]);
  sched.serverOffset = rand.pick([0, 600_000, -600_000]);
  const cookie = rand.chance(0.25);
  const oauth2 = rand.chance(0.5);
  const rotates = rand.chance(0.8);
  const server = authServer({ sched, rand: rand.fork(), ttlMs, rotates, oauth2 });
  server.sendsDate = rand.chance(0.5);
  const async = rand.chance(0.5);
  const auto = rand.chance(0.5);
  const revokeOn = rand.chance(0.5);
  const attempts = rand.between(1, 3);
  const retry = { attempts, baseDelayMs: 100, maxDelayMs: 400 };
  // Half the runs tell the client of connectivity (API.md "Offline"); in the others it finds out
  // from failing fetches, as before.
  const connected = rand.chance(0.5);
  const refreshTimeoutMs = 1_000;
  const timeoutMs = 5_000;
  note(`world: ttl ${ttlMs} ms, server clock ${sched.serverOffset / 60000} min off, ${cookie ? 'cookie' : oauth2 ? 'oauth2' : 'json'}${rotates ? ' rotating' : ''}, ${async ? 'async' : 'sync'} storage, auto ${auto}, revoke ${revokeOn}, Date ${server.sendsDate}, ${attempts} attempts${connected ? ', connectivity' : ''}`);

  let client = null;
  // What the run exercised (summed over seeds by run.mjs --stats).
  const cov = { seeds: 1, requests: 0, tokenSends: 0, resends: 0, foreign: 0, knownClockSends: 0, nearExpirySends: 0, afterFailure: 0, aborts: 0, clockSets: 0, sleeps: 0, logins: 0, logouts: 0, calmTails: 0 };
  const count = (k) => { cov[k] = (cov[k] || 0) + 1; };
  const obs = observer(CTX, violation);
  const NONE = { authenticated: false, claims: null, expiresAt: null };
  const sessionNow = () => (client ? coreSession(CTX) || NONE : NONE);
  const reqs = new Map(); // requests by id
  let nextReq = 1;
  let net = null;
  const { m, clockKnown, world, observe, onAction } = mainChecks({ CTX, sched, rand, server, cookie, oauth2, connected, obs, violation, count, sessionNow, reqs, net: () => net });
  // The device's connectivity, as `connectivity` tells it (listeners called at once).
  const listeners = new Set();
  const connectivity = {
    isOnline: () => !m.offline,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const setOnline = (online) => {
    if (online === !m.offline) return;
    note(online ? 'the device is online' : 'the device is offline');
    count(online ? 'online' : 'offline');
    m.offline = !online;
    if (!online) {
      m.answersSinceOffline = 0;
      m.offlineEpisodes++;
      net.drop();
    }
    for (const l of [...listeners]) l(online);
  };

  const store = sharedStore({ sched, rand: rand.fork(), contexts: [CTX] });
  const storage = async ? asyncStorage({ sched, rand: rand.fork(), ctx: CTX, sync: store.view(CTX), observe }) : store.view(CTX, observe);
  net = network({ sched, rand: rand.fork(), server, world });
  // The app starts: with a login, or from tokens a previous visit stored.
  const restored = rand.chance(0.5);
  let given = null;
  if (restored) {
    const age = rand.pick([ttlMs + 100_000, ttlMs + 3_600_000, Math.max(0, ttlMs - 30_000), 1_000]);
    given = server.issue({ ageMs: age });
    store.seed(KEY.access, given.access);
    if (cookie) net.jar.refresh = given.refresh;
    else store.seed(KEY.refresh, given.refresh);
    note(`stored: A${given.pair} issued ${age} ms ago`);
  }

  const options = {
    baseUrl: API,
    refresh: cookie
      ? { url: oauth2 ? '/oauth/token' : '/auth/refresh', cookie: true, ...(oauth2 ? { grant: 'oauth2', clientId: 'app' } : {}) }
      : oauth2 ? { url: '/oauth/token', grant: 'oauth2', clientId: 'app' } : { url: '/auth/refresh' },
    storage,
    fetch: net.fetchFor(CTX),
    dispatch: (action) => obs.dispatch(action),
    refreshTimeoutMs,
    timeoutMs,
    refreshRetry: retry,
    ...(revokeOn ? { revoke: { url: '/auth/revoke' } } : {}),
    ...(connected ? { connectivity } : {}),
  };
  obs.onAction = onAction;

  const calls = []; // API calls: { what, settled }
  const track = (what, promise, codes, onValue) => {
    const c = { what, settled: false, madeAt: sched.mono };
    calls.push(c);
    pending.add(c);
    promise.then((value) => {
      c.settled = true;
      pending.delete(c);
      if (onValue) onValue(value);
    }, (error) => {
      c.settled = true;
      pending.delete(c);
      obs.rejected(error, what, codes);
    });
  };

  // Nothing hangs; session() answers for the client's state now, whatever event changed it.
  const pending = new Set(); // requests and API calls not settled yet
  sched.afterTask = () => {
    for (const p of pending) {
      if (!p.late && sched.mono - p.madeAt > HANG_MS) {
        p.late = true;
        violation(`${p.what} has waited ${HANG_MS / 1000} s`);
      }
    }
    if (!client || disposed) return;
    const shown = client.session();
    const held = coreSession(CTX);
    if (JSON.stringify(shown) !== JSON.stringify(held)) violation(`session() says ${JSON.stringify(shown)}, the client holds ${JSON.stringify(held)}`);
  };
  let disposed = false;

  await sched.enter(CTX, () => naming(CTX, async () => {
    track('createAuthClient', createAuthClient(options).then((c) => { client = c; }), new Set());
  }));
  await sched.run(sched.mono + 5_000, () => client !== null);
  if (!client) {
    violation('createAuthClient did not resolve');
    return { violations, trace: traceLines() };
  }

  const login = (ttl, withRefresh = true) => {
    const t = server.issue({ ttl });
    m.loggedOut = false;
    m.removalAllowed = !withRefresh && !cookie;
    m.hasRefresh = withRefresh || cookie;
    if (!m.hasRefresh) m.sawNoRefresh = true;
    m.freshAt = m.order++;
    m.loginActionsAt = obs.actions.length; // a refresh may start and fail before its loggedIn
    m.logins++;
    count('logins');
    obs.sessionBegins();
    if (cookie) net.jar.refresh = t.refresh;
    note(`login() A${t.pair}${withRefresh ? '' : ' without a refresh token'}`);
    const tokens = cookie || !withRefresh ? { accessToken: t.access } : { accessToken: t.access, refreshToken: t.refresh };
    track('login()', client.login(tokens), new Set(['LOGGED_OUT', 'SESSION_EXPIRED']));
  };
  if (!restored) login(rand.chance(0.5) ? -1_000 : ttlMs);
  if (auto) client.startAutoRefresh();
  const startedAt = sched.mono;

  /** The codes an API call may reject with: NETWORK_ERROR when the device was offline at some
   * moment of its life. */
  const apiCodes = () => {
    const base = new Set(['SESSION_EXPIRED', 'REFRESH_FAILED', 'BAD_REFRESH_RESPONSE', 'LOGGED_OUT']);
    const at = m.offlineEpisodes - (m.offline ? 1 : 0);
    return { has: (code) => base.has(code) || (code === 'NETWORK_ERROR' && m.offlineEpisodes > at) };
  };

  /** A request as an app makes it; `retry`: the app sends it again the moment it fails. */
  function request(retry = rand.chance(0.3), after = null) {
    const id = nextReq++;
    const foreign = rand.chance(1 / 8);
    const method = rand.chance(0.3) ? 'POST' : 'GET';
    const body = method === 'POST' ? `{"n":${id}}` : null;
    const url = foreign ? `${FOREIGN}/x/${id}` : rand.chance(0.5) ? `/items/${id}` : `${API}/items/${id}`;
    const controller = rand.chance(0.3) ? new AbortController() : null;
    const r = { id, what: `request ${id}`, method, body, foreign, controller, sends: 0, settled: false, madeIn: sched.ran, madeAt: sched.mono, firstToken: null, after, callsAtMade: m.refreshCalls, episodesAtMade: m.offlineEpisodes - (m.offline ? 1 : 0) };
    reqs.set(id, r);
    pending.add(r);
    count('requests');
    note(`request ${id}${foreign ? ' (foreign)' : ''}${after ? ` (right after request ${after} failed)` : ''}`);
    const init = { method, ...(body ? { body, headers: { 'content-type': 'application/json' } } : {}), ...(controller ? { signal: controller.signal } : {}) };
    client.fetch(url, init).then((response) => {
      r.settled = true;
      pending.delete(r);
      r.status = response.status;
      note(`request ${id} -> ${response.status}`);
    }, (error) => {
      r.settled = true;
      pending.delete(r);
      // NETWORK_ERROR: the device was offline at some moment of the request's life.
      const code = obs.rejected(error, `request ${id}`, m.offlineEpisodes > r.episodesAtMade ? OFFLINE_CODES : undefined);
      r.error = code;
      note(`request ${id} -> ${code}`);
      if (r.after !== null && (code === 'REFRESH_FAILED' || code === 'BAD_REFRESH_RESPONSE') && m.refreshCalls === r.callsAtMade) {
        violation(`request ${id}, made right after request ${r.after} failed, failed with ${code} without a refresh call of its own (it shared the old failure)`);
      }
      if (retry && (code === 'REFRESH_FAILED' || code === 'BAD_REFRESH_RESPONSE')) {
        count('afterFailure');
        request(false, id);
      }
    });
    return r;
  }

  // The script.
  for (let step = 0; step < STEPS; step++) {
    const gap = rand.weighted([[50, () => rand.between(0, 5)], [35, () => rand.between(5, 300)], [15, () => rand.between(300, 20_000)]])();
    await sched.run(sched.mono + gap);
    const what = rand.int(19);
    await sched.enter(CTX, () => {
      switch (what) {
        case 0: case 1: case 2: case 3: case 4:
          request();
          break;
        case 5: {
          const open = [...reqs.values()].filter((r) => r.controller && !r.settled && !r.controller.signal.aborted);
          if (open.length === 0) break;
          const r = rand.pick(open);
          note(`abort request ${r.id}`);
          count('aborts');
          r.controller.abort();
          r.abortedOpen = true;
          break;
        }
        case 6:
          note('server: every access token revoked');
          server.revokeAllAccess();
          break;
        case 7:
          server.refuses = server.refuses ? null : { challenge: rand.chance(0.5) ? 'Bearer error="insufficient_scope"' : undefined };
          note(`server: the API ${server.refuses ? 'refuses every token' : 'accepts tokens again'}`);
          break;
        case 8: {
          const plans = ['definitive', 'transient', 'transient', 'garbage', 'hang', 'rotate', 'lost', 'reset', ...(oauth2 ? ['misconfigured'] : [])];
          const plan = rand.pick(plans);
          server.plans.push(plan);
          note(`server: next refresh ${plan}`);
          break;
        }
        case 9:
          note('logout()');
          count('logouts');
          m.loggedOut = true;
          m.removalAllowed = true;
          // With revoke, a logout of a session revokes its refresh token (its access token without
          // one); in cookie mode every logout asks the cookie's to be revoked.
          const expected = m.revokes.length;
          if (revokeOn && cookie) m.revokes.push(null);
          else if (revokeOn && sessionNow().authenticated) {
            const held = server.pairs.get(sessionNow().claims.pair);
            m.revokes.push(m.hasRefresh ? held.refresh : held.access);
          }
          // Offline with connectivity: the revocation is kept and must reach the server once online.
          // (In cookie mode each is the cookie's: kept once.)
          if (connected && m.offline && m.revokes.length > expected && !(cookie && m.kept.includes(null))) m.kept.push(m.revokes.at(-1));
          track('logout()', client.logout(), new Set(), (v) => {
            if (!v || typeof v.revoked !== 'boolean') violation(`logout() resolved with ${JSON.stringify(v)}`);
            else if (v.pending && !(connected && revokeOn)) violation(`logout() resolved pending without connectivity and revoke: ${JSON.stringify(v)}`);
          });
          break;
        case 10:
          login(rand.chance(0.3) ? -1_000 : ttlMs, cookie || rand.chance(0.9));
          break;
        case 11: {
          const ms = rand.pick([1_000, 60_000, 7_200_000]);
          note(`the device sleeps ${ms} ms`);
          count('sleeps');
          sched.deviceOffset += ms;
          sched.serverOffset += ms;
          m.disturbedAt = sched.mono;
          m.sleeps++;
          break;
        }
        case 12: {
          const to = rand.pick(['back', 'forth', 'right']);
          const delta = to === 'right' ? sched.serverOffset - sched.deviceOffset : to === 'back' ? -rand.pick([600_000, 3_600_000]) : rand.pick([600_000, 3_600_000]);
          if (delta === 0) break;
          note(`the device clock is set ${delta / 60000} min`);
          count('clockSets');
          sched.deviceOffset += delta;
          m.clockChangedAt = m.order++;
          m.datesAfterChange = [];
          m.disturbedAt = sched.mono;
          break;
        }
        case 13:
          note('getAccessToken()');
          track('getAccessToken()', client.getAccessToken(), apiCodes(), (token) => {
            if (token !== null && typeof token !== 'string') violation(`getAccessToken() resolved with ${typeof token}`);
            if (typeof token === 'string') {
              const s = sessionNow();
              if (!s.claims || claimsOf(token).pair !== s.claims.pair) violation(`getAccessToken() resolved with ${alias(token)}, the client holds ${s.claims ? 'A' + s.claims.pair : 'none'}`);
            }
          });
          break;
        case 14:
          note('refresh()');
          if (cookie && m.loggedOut) {
            // In cookie mode refresh() asks the cookie for a session: the app's way to log in again.
            m.loggedOut = false;
            m.removalAllowed = false;
            obs.sessionBegins();
          }
          track('refresh()', client.refresh(), apiCodes());
          break;
        case 17:
          setOnline(m.offline);
          break;
        case 18: {
          // Flapping: the network comes and goes within moments.
          const flips = rand.between(2, 5);
          for (let i = 0; i < flips; i++) setOnline(m.offline);
          break;
        }
        default:
      }
    });
    for (const r of reqs.values()) {
      if (!r.abortedOpen) continue;
      r.abortedOpen = false;
      if (!r.settled) violation(`request ${r.id} was aborted and did not reject at once`);
      else if (r.error !== 'AbortError') violation(`request ${r.id} was aborted and settled with ${r.error || r.status}`);
    }
  }

  // No timer loop: one timer refresh per token the app gave, plus one per 500 ms at most.
  if (auto) {
    const timerRefreshes = obs.actions.filter((a) => a.type === 'authlane/refreshStarted' && a.payload.reason === 'timer').length;
    const elapsed = sched.mono - startedAt;
    if (timerRefreshes > 1 + m.logins + elapsed / 500) violation(`${timerRefreshes} timer refreshes in ${elapsed} ms`);
    await calmTail();
    client.stopAutoRefresh();
  }

  async function calmTail() {
    await sched.enter(CTX, () => setOnline(true));
    server.plans.length = 0;
    server.refuses = null;
    world.slow = 0;
    world.apiHangs = () => false;
    let lastTokens = obs.actions.findLastIndex((a) => ['authlane/restored', 'authlane/loggedIn', 'authlane/refreshSucceeded'].includes(a.type));
    // A login whose tokens had expired starts a refresh while it writes them: its failures come
    // before the loggedIn, and the timer's backoff counts them.
    if (obs.actions[lastTokens]?.type === 'authlane/loggedIn' && m.loginActionsAt !== undefined) lastTokens = Math.min(lastTokens, m.loginActionsAt - 1);
    const failed = obs.actions.slice(lastTokens + 1).filter((a) => a.type === 'authlane/refreshFailed').length;
    const flight = refreshTimeoutMs * attempts + retry.maxDelayMs * (attempts - 1) + 1_000;
    const start = sched.mono;
    // The timer's backoff after failed refreshes; after a sleep or a clock change, its next look
    // (it checks at least every 30 s of monotonic time, which a sleeping device does not count).
    const from = Math.max(start + (failed === 0 ? 0 : Math.min(30_000, 1_000 * 2 ** (failed - 1))) + flight, m.disturbedAt + 30_000 + flight);
    note('calm tail');
    count('calmTails');
    while (sched.mono - start < 60_000) {
      await sched.run(sched.mono + 100);
      const s = sessionNow();
      if (sched.mono > from && m.hasRefresh && s.authenticated && s.expiresAt !== null && sched.serverNow() >= s.expiresAt && clockKnown()) {
        violation(`auto refresh on, the endpoint answering: the token expired ${sched.serverNow() - s.expiresAt} ms ago, ${sched.mono - start} ms into the calm tail (${failed} refreshes had failed)`);
        break;
      }
    }
  }

  // The world runs until nothing is left to happen, online (what was kept offline goes out).
  await sched.enter(CTX, () => setOnline(true));
  const quietBy = sched.mono + 600_000;
  await sched.run(quietBy);
  if (sched.nextAt() !== Infinity) violation('the world never went quiet (a timer loop?)');
  for (const r of reqs.values()) if (!r.settled) violation(`request ${r.id} never settled`);
  for (const c of calls) if (!c.settled) violation(`${c.what} never settled`);
  const last = client.session();
  obs.agrees(last);

  // Storage holds the session the client holds (the pair issued together), or nothing.
  const stored = (key) => {
    const w = store.latest(key);
    return w && w.value !== null ? w.value : null;
  };
  const pair = last.claims ? server.pairs.get(last.claims.pair) : null;
  const want = { access: pair ? pair.access : null, refresh: pair && m.hasRefresh && !cookie ? pair.refresh : null };
  for (const slot of ['access', 'refresh']) {
    if (stored(KEY[slot]) !== want[slot]) violation(`at the end storage holds ${alias(stored(KEY[slot])) || 'no'} ${slot} token, the client ${alias(want[slot]) || 'none'}`);
  }
  disposed = true;
  client.dispose();
  await sched.run(sched.mono + 60_000);
  if (sched.shellTimers(CTX) > 0) violation(`dispose() left ${sched.shellTimers(CTX)} timers`);

  // The app starts again on the same storage, the network quick: it restores the session it had,
  // and sends what a logout kept offline and no round online delivered (one whose send timed out
  // waits for the next start or the next time the device comes online).
  world.slow = 0;
  let again = null;
  await sched.enter(CTX, () => naming(`${CTX}'`, () => createAuthClient({ ...options, dispatch: undefined }).then((c) => { again = c; }, (error) => {
    violation(`createAuthClient on the stored tokens rejected: ${error && error.code}`);
  })));
  await sched.run(sched.mono + 5_000, () => again !== null);
  if (again) {
    const restored = again.session();
    if (JSON.stringify(restored) !== JSON.stringify(last)) violation(`started again, the app restores ${redact(JSON.stringify(restored))}, it had ${redact(JSON.stringify(last))}`);
    await sched.run(sched.mono + 5_000); // its first moments: what it sends at start goes
    again.dispose();
    await sched.run(sched.mono + 60_000);
  }
  if (m.kept.length > 0) violation(`online again and restarted, ${m.kept.length} revocation(s) kept offline never reached the server`);
  violations.push(...sched.errors);
  cov.tasks = sched.ran;
  return { violations, trace: traceLines(), stats: cov };
}


