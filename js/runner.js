// Feeds one client's core and performs what it asks: each event goes in with the times (the wall
// clock, for expiry; a monotonic one, for every wait), and the effects that come out are performed
// in order (storage, locks, messages, the refresh call, the revocation, actions, settling API
// calls and requests); what they come to goes in as the next events. One timer calls the core
// back when it asks. Nothing here decides.
import { IN } from './core.js';
import { AuthlaneError, makeError } from './errors.js';
import { CODE } from './facts.js';
import { tabsOf } from './tabs.js';
import { callRefresh, revoke } from './transport.js';
import { loadDpop } from './dpop-load.js';

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

const NONE = NaN; // a number the core reads as "none"
const LOCKS = { refresh: 0, call: 1, revoke: 2, fallback: 3, logout: 4 }; // as src/lib.rs reads them

/** The cause of a NETWORK_ERROR the core gave because the device is offline. */
function offlineError() {
  const error = new Error('the device is offline (connectivity.isOnline() is false)');
  error.name = 'OfflineError';
  return error;
}

/** The browser's connectivity (navigator.onLine and the online/offline events), or null. */
function browserConnectivity() {
  const g = globalThis;
  if (!g.navigator || typeof g.navigator.onLine !== 'boolean' || typeof g.addEventListener !== 'function') return null;
  return {
    isOnline: () => g.navigator.onLine,
    subscribe(listener) {
      g.addEventListener('online', listener);
      g.addEventListener('offline', listener);
      return () => {
        g.removeEventListener('online', listener);
        g.removeEventListener('offline', listener);
      };
    },
  };
}
const num = (n) => (typeof n === 'number' && Number.isFinite(n) ? n : NONE);

/** The runner of one client's core (see the module comment). */
export function runner({ core, handle, facts, options, storages }) {
  const fetchFn = options.fetch || ((...args) => globalThis.fetch(...args));
  const clock = options.now || Date.now;
  const now = () => {
    const t = clock();
    return typeof t === 'number' && Number.isFinite(t) ? t : Date.now();
  };
  // What timers count: performance.now() (it never goes back, and a clock set or the `now`
  // option moves no deadline), where there is one; the wall clock where there is none.
  const perf = globalThis.performance;
  const mono = perf && typeof perf.now === 'function' ? () => perf.now() : now;
  const listeners = new Set();
  const timers = timerSet();
  const calls = new Map(); // API call id -> { resolve, reject }
  const held = { call: undefined, storage: { access: undefined, refresh: undefined, pending: undefined } }; // what causes errors
  const KEYS = { access: 'accessToken', refresh: 'refreshToken', pending: 'pendingRevocations' };
  const key = (slot) => `${facts.storageKey}.${KEYS[slot]}`;
  // The revocations kept while offline live with the refresh token (secure storage, when split).
  const storageOf = (slot) => storages[slot === 'access' ? 'access' : 'refresh'];
  const queue = [];
  let draining = false;
  let timer = null;
  let nextId = 1;
  let refreshCancel = null;
  let cachedSession = null;

  const self = {
    facts,
    fetchFn,
    timers,
    now,
    disposed: false,
    /** The fast path's lease (set by the core's "lease" effect). */
    lease: null,
    /** Request records of requests.js, by id; `perform` is its handler of request effects. */
    requests: null,
    refreshOn: options.refreshOn,
    id: () => nextId++,
    goneError: () => new AuthlaneError(CODE.LOGGED_OUT, 'this client was disposed; create a new one'),
    gone: () => Promise.reject(self.goneError()),
    resolve: (url) => core.resolve(handle, url),
    allows: (url) => core.allows(handle, url),
    /** An event for the core; its effects are performed in order. */
    feed(kind, values = [], text) {
      if (self.disposed) return;
      const effects = core.handle(handle, kind, [now(), mono(), ...values.map(num)], text);
      const busy = effects.pop();
      const wakeAt = effects.pop();
      // The lease and the session answer for the state after this event: they change before
      // anything else is performed (a listener that sends a request must not use an old lease).
      // Any event may change the session, not only one that dispatches an action: a login holds
      // its tokens while it writes them, and its loggedIn comes after the write.
      cachedSession = null;
      for (const e of effects) {
        if (e[0] === 'lease') self.lease = e[1] === null ? null : { header: e[1], generation: e[2], failures: e[3], until: e[4], dateEvery: e[5], nextDate: -Infinity, told: false };
      }
      queue.push(...effects);
      schedule(wakeAt, busy);
      if (!draining) drain();
    },
    /** An API call: resolves or rejects when the core settles it. */
    call(kind, values = [], text) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        calls.set(id, { resolve, reject });
        self.feed(kind, [id, ...values], text);
      });
    },
    error: (e) => toError(e),
    session() {
      if (self.disposed) return { authenticated: false, claims: null, expiresAt: null };
      if (cachedSession === null) cachedSession = core.session(handle);
      return cachedSession;
    },
    subscribe(listener) {
      if (typeof listener !== 'function') throw new AuthlaneError(CODE.INVALID_CONFIG, 'subscribe(listener): listener must be a function');
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    dispose() {
      if (self.disposed) return;
      self.feed(IN.dispose);
      self.disposed = true;
      if (timer !== null) clearTimeout(timer);
      tabs.close();
      if (unsubscribe) {
        try {
          unsubscribe();
        } catch {
          // The app's unsubscribe failing leaves nothing of ours behind.
        }
      }
      timers.clearAll();
      listeners.clear();
      core.free(handle);
    },
    /** Linear memory in bytes (benchmarks; not public API). */
    memoryBytes: () => core.memoryBytes(),
  };

  const tabs = tabsOf({ storages, facts, timers, hear: (text) => self.feed(IN.message, [], text) });

  // Whether the device is online, told to the core at once and on every change it may be (the
  // core decides what it means): the app's `connectivity`, or the browser's.
  const connectivity = options.connectivity || browserConnectivity();
  let unsubscribe = null;
  if (connectivity) {
    const report = () => {
      let online = true;
      try {
        online = connectivity.isOnline() !== false;
      } catch {
        // A connectivity that throws says nothing: online, as without one.
      }
      self.feed(IN.online, [online ? 1 : 0]);
    };
    try {
      const stop = connectivity.subscribe(() => report());
      if (typeof stop === 'function') unsubscribe = stop;
    } catch {
      // As above: no news of changes.
    }
    report();
  }

  // DPoP's key pair (js/dpop.js, loaded only by a client with `dpop`): read, or made anew for a
  // new session, as the core asks; each operation after the one before.
  let dpopKey = null;
  let dpopKeys = null;
  let keyQueue = Promise.resolve();
  function keyOp(op) {
    keyQueue = keyQueue.then(async () => {
      try {
        if (dpopKeys === null) dpopKeys = (await loadDpop()).dpopKeys(options.dpop, facts.storageKey);
        dpopKey = await (op === 'replace' ? dpopKeys.replace() : dpopKeys.load());
        self.feed(IN.key, [1], `${dpopKey.x}\u0000${dpopKey.y}`);
      } catch {
        dpopKey = null;
        self.feed(IN.key, [0]);
      }
    });
  }

  /** The core's timer; it keeps a Node process alive only while the core has work in progress
   * (a refresh waiting to retry), not for the auto-refresh checks. Whole ms, rounded up: a timer
   * that fires a fraction of a ms early would find nothing due, and ask again, without end. */
  function schedule(at, busy) {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (typeof at !== 'number' || self.disposed) return;
    timer = setTimeout(() => {
      timer = null;
      self.feed(IN.timer);
    }, Math.max(0, Math.ceil(at - mono())));
    if (!busy && timer && timer.unref) timer.unref();
  }

  /** The core's error as an AuthlaneError, its cause what the shell holds. */
  function toError(e) {
    let cause;
    if (e.cause === 'call') cause = held.call;
    else if (e.cause === 'access' || e.cause === 'refresh' || e.cause === 'pending') cause = held.storage[e.cause];
    else if (e.cause === 'offline') cause = offlineError();
    else if (e.cause !== undefined) cause = toError(e.cause);
    return makeError(e.code, e.message, cause);
  }

  function drain() {
    draining = true;
    try {
      while (queue.length > 0) {
        try {
          perform(queue.shift());
        } catch {
          // Performing never throws by design (each effect catches what the app's callbacks
          // throw); were one to, the effects after it must still run, or what waits for them hangs.
        }
      }
    } finally {
      draining = false;
    }
  }

  /** Runs a storage callback; reports `(ok, value)` now or when its Promise settles. */
  function storageCall(slot, run, report) {
    let result;
    try {
      result = run(storageOf(slot));
    } catch (error) {
      held.storage[slot] = error;
      return report(false);
    }
    if (result !== null && typeof result === 'object' && typeof result.then === 'function') {
      result.then((value) => report(true, value), (error) => {
        held.storage[slot] = error;
        report(false);
      });
    } else {
      report(true, result);
    }
  }

  function dispatch(action) {
    for (const listener of [options.dispatch, ...listeners]) {
      if (typeof listener !== 'function') continue;
      try {
        const result = listener(action);
        // An async listener that fails returns a rejected Promise: handle it here, as a throw is
        // handled, or it becomes an unhandled rejection (which ends a Node process).
        if (result !== null && (typeof result === 'object' || typeof result === 'function') && typeof result.then === 'function') {
          result.then(undefined, () => {});
        }
      } catch {
        // A listener's failure must not break the client or the other listeners.
      }
    }
  }

  function perform(e) {
    switch (e[0]) {
      case 'send': case 'pass': case 'deliver': case 'fail': case 'ask':
        return self.requests(e);
      case 'load':
        return storageCall(e[2], (s) => s.getItem(key(e[2])), (ok, value) => {
          const kind = !ok ? 3 : value === null || value === undefined ? 0 : typeof value === 'string' ? 1 : 2;
          self.feed(IN.loaded, [e[1], kind], kind === 1 ? value : undefined);
        });
      case 'store':
        return storageCall(e[2], (s) => s.setItem(key(e[2]), e[3]), (ok) => self.feed(IN.saved, [e[1], ok ? 1 : 0]));
      case 'remove':
        return storageCall(e[2], (s) => s.removeItem(key(e[2])), (ok) => self.feed(IN.saved, [e[1], ok ? 1 : 0]));
      case 'lock':
        return tabs.lock(e[1], e[2], (granted, contended, shared) =>
          self.feed(IN.locked, [LOCKS[e[1]] ?? 0, granted ? 1 : 0, contended ? 1 : 0, shared ? 1 : 0]));
      case 'unlock':
        return tabs.unlock(e[1]);
      case 'post':
        return tabs.post(e[1]);
      case 'dispatch':
        return dispatch(e[1]);
      case 'call': {
        const cancel = new AbortController();
        refreshCancel = cancel;
        return callRefresh(fetchFn, timers, options.refresh, facts, e, cancel.signal).then((r) => {
          if (refreshCancel === cancel) refreshCancel = null;
          if (cancel.signal.aborted) return;
          if (r.kind === 0) {
            let text;
            try {
              text = r.value === null || r.value === undefined ? undefined : JSON.stringify(r.value) || '';
            } catch {
              text = '';
            }
            return self.feed(IN.refreshed, [0, text === undefined ? 0 : 1], text);
          }
          if (r.kind === 1) {
            held.call = r.error;
            const status = r.error !== null && typeof r.error === 'object' ? r.error.status : undefined;
            const code = r.error instanceof AuthlaneError ? r.error.code : undefined;
            const timeout = code === CODE.TIMEOUT ? 1 : code === CODE.NETWORK_ERROR ? 0 : NONE;
            return self.feed(IN.refreshed, [1, status, timeout]);
          }
          return self.feed(IN.refreshed, [2, r.status, r.text === undefined ? 0 : 1, r.date, r.retryAfterMs], `${r.text ?? ''}\u0000${r.nonce}`);
        });
      }
      case 'cancel':
        if (refreshCancel) refreshCancel.abort();
        refreshCancel = null;
        return undefined;
      case 'revoke':
        return revoke(fetchFn, timers, options, facts, e).then((r) =>
          self.feed(IN.revoked, [e[1], r.status, r.text === undefined ? 0 : 1], `${r.text ?? ''}\u0000${r.nonce}`));
      case 'key':
        return keyOp(e[1]);
      case 'sign': {
        const key = dpopKey;
        const done = (signature) => self.feed(IN.signed, [e[1], signature === undefined ? 0 : 1], signature);
        if (key === null) return done(undefined);
        return key.sign(e[2]).then(done, () => done(undefined));
      }
      case 'resolve': {
        const c = calls.get(e[1]);
        calls.delete(e[1]);
        if (!c) return undefined;
        const [, , kind, value] = e;
        return c.resolve(kind === 1 || kind === 4 ? value : kind === 2 ? self.session() : kind === 3 ? (value === null ? { revoked: false, pending: true } : { revoked: value }) : undefined);
      }
      case 'reject': {
        const c = calls.get(e[1]);
        calls.delete(e[1]);
        return c && c.reject(toError(e[2]));
      }
      default:
        return undefined;
    }
  }

  return self;
}
