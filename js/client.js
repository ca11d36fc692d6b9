// createAuthClient: builds the host the Rust core drives (fetch, storage, timers, dispatch) and
// wraps the core as the AuthClient of API.md.
import { core as wasm } from './wasm.js';
import { AuthlaneError } from './errors.js';
import { CODE } from './facts.js';
import { ACTION } from './actions.js';
import { memoryStorage } from './storage.js';
import { groupOf, lockGroup } from './siblings.js';
import { aborted, callRefresh, discard, prepare, revoke, send } from './transport.js';

function splitStorage(storage) {
  if (storage == null) {
    const memory = memoryStorage();
    return { access: memory, refresh: memory };
  }
  if (typeof storage.getItem === 'function') return { access: storage, refresh: storage };
  return { access: storage.access, refresh: storage.refresh };
}

/**
 * Timers and in-flight operations that dispose() stops all at once, so nothing the client
 * leaves behind keeps a Node process alive.
 */
function timerSet() {
  const live = new Map();
  const operations = new Set();
  return {
    /** True once clearAll() ran: the client is disposed, nothing new may wait. */
    closed: false,
    /** Registers an abort for an operation in flight; returns its unregistration. */
    track(abort) {
      operations.add(abort);
      return () => operations.delete(abort);
    },
    set(fn, ms, onClear) {
      const id = setTimeout(() => { live.delete(id); fn(); }, ms);
      live.set(id, onClear);
      return id;
    },
    clear(id) {
      clearTimeout(id);
      live.delete(id);
    },
    clearAll() {
      this.closed = true;
      for (const [id, onClear] of live) {
        clearTimeout(id);
        if (onClear) onClear();
      }
      live.clear();
      for (const abort of [...operations]) abort();
      operations.clear();
    },
  };
}

/**
 * The cross-tab refresh lock, or null where there is none; null too when the wait times out or
 * the client is disposed while waiting (its queued request is withdrawn, so a client that no
 * longer exists never takes the lock later, and no wait timer outlives it).
 */
function takeLock(name, timeoutMs, timers) {
  const locks = globalThis.navigator && globalThis.navigator.locks;
  if (!locks || typeof AbortController !== 'function' || timers.closed) return null;
  return new Promise((resolve) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const untrack = timers.track(() => controller.abort());
    const settle = (value) => {
      clearTimeout(timer);
      untrack();
      resolve(value);
    };
    const hold = (contended) => () => new Promise((release) => settle({ release, contended }));
    // Free now, or held by another tab (then queue for it, and say so).
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (controller.signal.aborted) return settle(null); // disposed meanwhile: let it go
        if (lock) return hold(false)();
        locks.request(name, { signal: controller.signal }, hold(true)).catch(() => settle(null));
        return undefined;
      })
      .catch(() => settle(null));
  });
}

/** How long a tab that waited for another tab's lock waits for that tab's write to reach it. */
const STORAGE_SETTLE_MS = 250;

function createHost(options, listeners, timers, shell) {
  const storages = splitStorage(options.storage);
  const prefix = options.storageKey || 'authlane';
  shell.join = () => groupOf(storages, prefix); // once the core has checked the options
  const key = (slot) => `${prefix}.${slot === 'access' ? 'accessToken' : 'refreshToken'}`;
  const fetchFn = options.fetch || ((...args) => globalThis.fetch(...args));
  const now = options.now || Date.now;
  const refreshOn = typeof options.refreshOn === 'function' ? options.refreshOn : null;
  let refreshCancel = null; // aborts the refresh call in flight when its session ends
  const load = (slot) => storages[slot].getItem(key(slot));
  const quietly = async (read) => {
    try {
      return await read();
    } catch {
      return undefined;
    }
  };
  // Resolves once the stored access token is no longer `seen`, or after `ms` (or at dispose).
  const settled = (seen, ms) => new Promise((resolve) => {
    const deadline = Date.now() + ms;
    const check = async () => {
      const now = await quietly(() => load('access'));
      if (now !== seen || Date.now() >= deadline) resolve();
      else timers.set(check, 10, resolve);
    };
    check();
  });
  return {
    now: () => now(),
    random: Math.random,
    sleep: (ms) => new Promise((resolve) => timers.set(resolve, ms, resolve)),
    send: (prepared, name, value, attempt, timeoutMs) => send(fetchFn, timers, prepared, name, value, attempt, timeoutMs, shell.allows),
    aborted,
    rejects: refreshOn && (async (response) => {
      try {
        return Boolean(await refreshOn(response));
      } catch {
        return false;
      }
    }),
    callRefresh(token, url, timeoutMs) {
      const cancel = new AbortController();
      refreshCancel = cancel;
      const done = () => { if (refreshCancel === cancel) refreshCancel = null; };
      const call = callRefresh(fetchFn, timers, options.refresh, token, url, timeoutMs, cancel.signal);
      call.then(done, done);
      return call;
    },
    cancelRefresh: () => refreshCancel && refreshCancel.abort(),
    revoke: (token, hint, url, timeoutMs) => revoke(fetchFn, timers, options, token, hint, url, timeoutMs),
    load,
    store: (slot, value) => storages[slot].setItem(key(slot), value),
    remove: (slot) => storages[slot].removeItem(key(slot)),
    async lock(timeoutMs) {
      // The tabs' lock first, then this app's: every client takes them in that order.
      const seen = shell.crossTab ? quietly(() => load('access')) : undefined; // asked before the lock
      let tabs = shell.crossTab ? await takeLock(`${prefix}.refresh`, timeoutMs, timers) : null;
      // Its holder did not let go in time (a frozen tab): the tabs that waited for it in vain take
      // turns on a second lock, so that they do not all refresh at once with the same token.
      if (shell.crossTab && tabs === null) tabs = await takeLock(`${prefix}.refresh.fallback`, timeoutMs, timers);
      // Another tab held the lock: most likely it was refreshing, and its tokens are written. A
      // browser shares localStorage between tabs' processes asynchronously, so the write may
      // reach this tab after the lock does; reading storage then, the core would spend the same
      // refresh token again (the server sees a reuse). Wait for storage to move, briefly.
      if (tabs && tabs.contended) await settled(await seen, Math.min(STORAGE_SETTLE_MS, timeoutMs));
      const local = await lockGroup(shell.group, timeoutMs, timers);
      if (!local && !tabs) return null;
      return () => {
        if (local) local();
        if (tabs) tabs.release();
      };
    },
    broadcast(message) {
      if (shell.channel) shell.channel.postMessage(message);
      for (const sibling of shell.group.members) if (sibling !== shell.self) sibling(message);
    },
    dispatch(action) {
      shell.onAction(action);
      for (const listener of [options.dispatch, ...listeners]) {
        if (typeof listener !== 'function') continue;
        try {
          const result = listener(action);
          // An async listener that fails returns a rejected Promise: handle it here, as a throw
          // is handled, or it becomes an unhandled rejection (which ends a Node process).
          if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
            result.then(undefined, () => {});
          }
        } catch {
          // A listener's failure must not break the client or the other listeners.
        }
      }
    },
  };
}

/**
 * The options as the core should read them. The core finds "no global fetch" when
 * `globalThis.fetch instanceof Function` is false, which a fetch made in another realm is too:
 * Next.js's edge sandbox (middleware under `next dev` and `next start`) defines it in Node's
 * realm. Only there the core is handed the options with that global fetch named; it is the one
 * the host calls anyway (createHost).
 */
function withGlobalFetch(options) {
  const foreign = typeof globalThis.fetch === 'function' && !(globalThis.fetch instanceof Function);
  if (!foreign || options === null || typeof options !== 'object' || options.fetch != null) return options;
  return Object.create(options, { fetch: { value: (...args) => globalThis.fetch(...args) } });
}

/**
 * Creates a ready client: loads the module, reads the stored tokens.
 * @example
 * const client = await createAuthClient({ baseUrl: 'https://api.example.com', refresh: { url: '/auth/refresh' } });
 * const res = await client.fetch('/me');
 */
export async function createAuthClient(options) {
  const opts = options && typeof options === 'object' ? options : {};
  const listeners = new Set();
  const timers = timerSet();
  // What the host uses of the core and the page, set below.
  const shell = { channel: null, allows: () => false, onAction: () => {}, join: null, group: null, self: null, crossTab: false };
  const documentUrl = globalThis.location && typeof globalThis.location.href === 'string' ? globalThis.location.href : undefined;
  const host = createHost(opts, listeners, timers, shell);
  const core = new wasm.ClientCore(withGlobalFetch(options), host, documentUrl);
  shell.allows = (url) => core.allows(url);
  shell.group = shell.join();
  try {
    await core.start();
  } catch (error) {
    core.free();
    throw error;
  }

  const headerName = core.headerName();
  const timeoutMs = core.timeoutMs();
  let disposed = false;
  let auto = null;
  // Other clients of this app sharing the storage hear this one's news, and it theirs.
  shell.self = (message) => {
    if (!disposed) core.onBroadcast(message);
  };
  shell.group.members.add(shell.self);
  shell.crossTab = core.crossTab();
  // Read from globalThis: Next.js's edge build warns of every bare `BroadcastChannel` it sees.
  const Channel = globalThis.BroadcastChannel;
  if (shell.crossTab && typeof Channel === 'function') {
    shell.channel = new Channel(opts.storageKey || 'authlane');
    shell.channel.onmessage = (event) => {
      if (!disposed && typeof event.data === 'string') core.onBroadcast(event.data);
    };
  }
  const gone = () => Promise.reject(new AuthlaneError(CODE.LOGGED_OUT, 'this client was disposed; create a new one'));
  const live = (fn) => (...args) => (disposed ? gone() : fn(...args));
  const schedule = () => {
    auto = setTimeout(schedule, core.tick());
    if (auto && auto.unref) auto.unref();
  };
  // The next auto-refresh check counts from the new state when a refresh ends or tokens
  // arrive (tick() answers 30 s while a refresh runs, so a short-lived token would otherwise
  // expire before the next check, and a failed refresh would wait that long to try again).
  // Asked once the core's call that dispatched the action is over, so it is never re-entered.
  const RESCHEDULE = [ACTION.restored, ACTION.loggedIn, ACTION.refreshSucceeded, ACTION.refreshFailed];
  shell.onAction = (action) => {
    if (!RESCHEDULE.includes(action.type)) return;
    Promise.resolve().then(() => {
      if (auto === null || disposed) return;
      clearTimeout(auto);
      schedule();
    });
  };

  // A request: the core says, without waiting, whether it goes now (and with which header) or
  // must wait for something first (a refresh, shared with every request it holds; a storage
  // write), and the request asks again after the wait. The request's own signal ends a wait.
  // Its response goes to the core's judgement; a first response that rejected the token may
  // bring one resend (step 2), after the refresh the core names.
  // After any wait the client may have been disposed, and its core freed: never ask it then.
  let lastWait;
  const wait = (prepared, promise, step) => {
    if (promise !== lastWait) {
      lastWait = promise;
      promise.catch(() => {}); // each request that waits reports a failure itself
    }
    const abort = aborted(prepared);
    const waited = abort === null ? promise : Promise.race([promise, abort.then((reason) => Promise.reject(reason))]);
    return waited.then(() => run(prepared, step));
  };

  // The fast path: the core leases the shell the header of a token it would send as it is (until
  // the token is due, and while nothing is for the core to decide first: it says whether the
  // lease still holds). Under the lease a first send to an allowed origin goes without asking
  // the core, and a response whose status cannot reject the token is the answer; every other
  // case asks, so the decisions stay the core's. Crossing into the wasm costs more than
  // deciding there (benches/RESULTS.md).
  const origins = core.allowedOrigins().split(' ').filter(Boolean).map((origin) => origin + '/');
  const statuses = core.refreshStatuses().split(' ').filter(Boolean).map(Number);
  let lease = null;
  let leaseTried; // the generation last asked for a lease
  const leased = (prepared) => {
    if (lease === null || !prepared.auth || !origins.some((origin) => prepared.url.startsWith(origin))) return null;
    if (host.now() >= lease.until) {
      lease = null; // this token is due: no lease on it again
    } else if (!core.leaseHolds(lease.generation, lease.until, lease.failures)) {
      lease = null;
      leaseTried = undefined;
    }
    return lease;
  };
  const takeLease = (generation) => {
    leaseTried = generation;
    const header = core.lease();
    const until = header === undefined ? -Infinity : core.leaseUntil();
    if (host.now() < until) lease = { header, generation, until, dateEvery: core.leaseDateEvery(), nextDate: -Infinity, failures: core.failures(), told: false };
  };
  const run = (prepared, step) => {
    if (disposed) return gone();
    const fast = step !== 2 ? leased(prepared) : null; // a first send, held or not
    if (fast !== null) return sent(prepared, fast.header, fast.generation, step, fast);
    const ready = core.ready(prepared.url, prepared.auth, step);
    if (ready === false) return host.send(prepared, headerName, null, 0, timeoutMs);
    if (ready !== null && typeof ready !== 'string') return wait(prepared, ready, step === 0 ? 1 : step);
    const generation = ready === null ? undefined : core.generation();
    if (ready !== null && lease === null && generation !== leaseTried) takeLease(generation);
    return sent(prepared, ready, generation, step, null);
  };
  // One send and its judgement (`fast`: under that lease).
  const sent = (prepared, header, generation, step, fast) => {
    // The refreshes failed before this send: a failure after it is shared, one before it is not
    // (the next request after a failure tries again).
    const failures = fast !== null ? fast.failures : generation === undefined ? 0 : core.failures();
    const resend = step === 2;
    return host.send(prepared, headerName, header, resend ? 1 : 0, timeoutMs).then((response) => {
      if (disposed) return gone();
      if (fast !== null && !statuses.includes(response.status)) {
        if (!fast.told) core.accepted(generation);
        fast.told = true;
        const now = host.now();
        if (now >= fast.nextDate) {
          // The clock learns from responses' Date, as onResponse would note it (each one while a
          // restored session has no token's iat to go by, a sample after: a device clock set
          // back by NTP); the token may fall due earlier (or later) by it.
          fast.nextDate = now + fast.dateEvery;
          const date = Date.parse(response.headers.get('date') || '');
          if (date === date) fast.until = core.notedDate(date);
        }
        return response;
      }
      const verdict = core.onResponse(response, response.status, response.url || undefined, generation);
      if (verdict === 0) return response;
      const rejected = () => {
        if (resend) {
          core.refused(generation);
          return response;
        }
        const next = core.afterRejection(response, generation, failures);
        if (next === undefined) return response;
        discard(response); // the caller gets the resend's response (or an error), never this one
        return next === null ? run(prepared, 2) : wait(prepared, next, 2);
      };
      if (verdict === 1) return rejected();
      return host.rejects(response).then((yes) => {
        if (disposed) return gone();
        if (yes) return rejected();
        core.accepted(generation);
        return response;
      });
    });
  };

  // A plain path ("/items?page=2": no dot segment, no character a URL parser would encode, drop
  // or read as the start of another host) resolves against the base's origin exactly as against
  // the base, to the string the core's resolver gives; any other URL asks the core.
  const baseOrigin = core.baseOrigin();
  const PLAIN_PATH = /^\/(?![/\\])[\w\-~!$&()*+,;=:@%/?#.]*$/;
  const DOT_SEGMENT = /\/\.|%2e/i;
  const resolve = (url) => (baseOrigin !== undefined && PLAIN_PATH.test(url) && !DOT_SEGMENT.test(url) ? baseOrigin + url : core.resolveUrl(url));

  // getAccessToken() as a request asks: the token now, or a wait and the question again.
  const token = (first) => {
    const ready = core.getAccessToken(first);
    if (ready === null || typeof ready === 'string') return Promise.resolve(ready);
    return ready.then(() => (disposed ? gone() : token(false)));
  };

  return {
    fetch: live((input, init) => {
      try {
        return run(prepare(input, init, resolve), 0);
      } catch (error) {
        return Promise.reject(error);
      }
    }),
    login: live((tokens) => core.login(tokens || {})),
    logout: live(() => core.logout()),
    getAccessToken: live(() => token(true)),
    refresh: live(() => core.refresh().then(() => (disposed ? gone() : core.session()))),
    session: () => (disposed ? { authenticated: false, claims: null, expiresAt: null } : core.session()),
    subscribe(listener) {
      if (typeof listener !== 'function') throw new AuthlaneError(CODE.INVALID_CONFIG, 'subscribe(listener): listener must be a function');
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    startAutoRefresh() {
      if (!disposed && auto === null) schedule();
    },
    stopAutoRefresh() {
      if (auto !== null) clearTimeout(auto); // Hermes' clearTimeout refuses null
      auto = null;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      shell.group.members.delete(shell.self);
      if (auto !== null) clearTimeout(auto);
      auto = null;
      core.dispose();
      if (shell.channel) shell.channel.close();
      timers.clearAll();
      listeners.clear();
      core.free();
    },
  };
}
