// The locks and the messages of clients sharing a storage, as the core asks for them. Clients of
// one app (one JS realm) with the same storage objects and storageKey form a group: one lock
// queue between them, and each hears the others' messages. With crossTab, tabs share Web Locks
// (`<storageKey>.refresh` for a whole refresh, `<storageKey>.refresh.call` around each call) and
// a BroadcastChannel named by the storage key. With crossTab, a tab that waited in vain for the
// call lock (a frozen tab holds it) takes `<storageKey>.refresh.fallback` instead, as the core
// asks.

const groups = new WeakMap(); // access storage -> Map(storageKey -> [group])

/** The group of clients sharing `storages` under `key`. */
export function groupOf(storages, key) {
  let byKey = groups.get(storages.access);
  if (!byKey) groups.set(storages.access, (byKey = new Map()));
  let list = byKey.get(key);
  if (!list) byKey.set(key, (list = []));
  let group = list.find((g) => g.refresh === storages.refresh);
  if (!group) list.push((group = { refresh: storages.refresh, members: new Set(), tail: Promise.resolve() }));
  return group;
}

/**
 * Waits for the group's lock. Resolves with its release, or with null when `timeoutMs` passed
 * first or `withdraw` ran: the holder may hang. A place given up is released as soon as its turn
 * comes, so the queue never stalls.
 */
function queue(group, timeoutMs, timers, onWithdraw) {
  let release;
  const mine = new Promise((resolve) => (release = resolve));
  const turn = group.tail;
  group.tail = turn.then(() => mine);
  return new Promise((resolve) => {
    let waiting = true;
    const giveUp = () => {
      if (!waiting) return;
      waiting = false;
      resolve(null);
      turn.then(release);
    };
    const timer = timers.set(giveUp, timeoutMs, giveUp);
    onWithdraw(giveUp);
    turn.then(() => {
      if (!waiting) return;
      waiting = false;
      timers.clear(timer);
      resolve(release);
    });
  });
}

/**
 * A Web Lock, or null where there is none, when the wait times out or it is withdrawn (a client
 * disposed while it waits never takes it later). Free now, or held by another tab: then queued
 * for it, and `contended`.
 */
function webLock(locks, name, timeoutMs, timers, onWithdraw) {
  if (!locks || typeof AbortController !== 'function' || timers.closed) return Promise.resolve(null);
  return new Promise((resolve) => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    // A withdrawal or dispose() ends the wait at once, and its timer with it (the grant may
    // still come, and is let go then).
    const stop = () => {
      clearTimeout(timer);
      controller.abort();
    };
    const untrack = timers.track(stop);
    onWithdraw(stop);
    const settle = (value) => {
      clearTimeout(timer);
      untrack();
      resolve(value);
    };
    const hold = (contended) => () => new Promise((release) => settle({ release, contended }));
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (controller.signal.aborted) return settle(null);
        if (lock) return hold(false)();
        locks.request(name, { signal: controller.signal }, hold(true)).catch(() => settle(null));
        return undefined;
      })
      .catch(() => settle(null));
  });
}

/**
 * The locks and messages of one client: `lock(which, timeoutMs, report)` takes a lock and reports
 * `(granted, contended, shared)`; `unlock(which)` lets go of it (or withdraws the wait);
 * `post(text)` tells the others; `close()` at dispose.
 */
export function tabsOf({ storages, facts, timers, hear }) {
  const group = groupOf(storages, facts.storageKey);
  const locks = facts.crossTab && globalThis.navigator ? globalThis.navigator.locks : undefined;
  const self = (text) => hear(text);
  group.members.add(self);
  let channel = null;
  // Read from globalThis: Next.js's edge build warns of every bare `BroadcastChannel` it sees.
  const Channel = globalThis.BroadcastChannel;
  if (facts.crossTab && typeof Channel === 'function') {
    channel = new Channel(facts.storageKey);
    channel.onmessage = (event) => {
      if (typeof event.data === 'string') hear(event.data);
    };
  }
  const held = { refresh: null, call: null, fallback: null, revoke: null, logout: null }; // what unlock lets go of: a release, or a withdrawal
  const names = {
    refresh: `${facts.storageKey}.refresh`,
    call: `${facts.storageKey}.refresh.call`,
    fallback: `${facts.storageKey}.refresh.fallback`,
    revoke: `${facts.storageKey}.revoke`,
    logout: `${facts.storageKey}.refresh.call`, // a logout takes the call lock (apart from a refresh's ask)
  };
  return {
    lock(which, timeoutMs, report) {
      let withdrawn = false;
      const withdraws = [];
      held[which] = () => {
        withdrawn = true;
        withdraws.forEach((w) => w());
      };
      const onWithdraw = (w) => withdraws.push(w);
      (async () => {
        // The tabs' lock first, then this app's: every client takes them in that order.
        const tab = await webLock(locks, names[which], timeoutMs, timers, onWithdraw);
        const local = which === 'refresh' && !withdrawn ? await queue(group, timeoutMs, timers, onWithdraw) : null;
        const release = () => {
          if (tab) tab.release();
          if (local) local();
        };
        if (withdrawn) return release();
        held[which] = release;
        report(tab !== null || local !== null, tab !== null && tab.contended, group.members.size > 1 || facts.crossTab);
      })();
    },
    unlock(which) {
      const release = held[which];
      held[which] = null;
      if (release) release();
    },
    post(text) {
      try {
        if (channel) channel.postMessage(text);
      } catch {
        // A channel that refuses (Deno's, after another client of the process closed its own)
        // only loses news for tabs there are none of: the clients of this app hear it below.
      }
      for (const member of group.members) if (member !== self) member(text);
    },
    close() {
      group.members.delete(self);
      this.unlock('refresh');
      this.unlock('call');
      this.unlock('fallback');
      this.unlock('revoke');
      this.unlock('logout');
      if (channel) channel.close();
    },
  };
}
