// Storage as browsers and React Native have it.
//
// `sharedStore`: one localStorage that several tabs (processes) share. Each call is one key
// (`setItem` / `removeItem`): a pair of tokens is two writes, and another tab can read between
// them. A tab sees its own writes at once and another tab's after a seeded delay, in the order
// that tab made them (Chromium relays each process's changes to the others in order, through the
// browser process); two tabs' writes are ordered by when they were made, so an older write that
// arrives late never hides a newer one the reader already sees. A page loaded anew (a reload)
// reads the browser's copy: every write made before it has reached it. The delay is at most 200 ms (the
// core's design waits up to 250 ms for another tab's write after a lock: a browser slower than
// that is not modelled).
//
// `asyncStorage`: AsyncStorage, IndexedDB and the keychain: every call returns a Promise, the
// operations run one after another on the storage's own queue, each after a seeded delay, and
// take effect when they run.

/** The delay of one write on its way to another tab. */
export function propagation(rand) {
  return rand.weighted([[70, () => rand.between(0, 15)], [25, () => rand.between(15, 80)], [5, () => rand.between(80, 200)]])();
}

/**
 * One localStorage shared by the tabs named in `contexts` (names may be added later with
 * `addContext`). `onWrite({ ctx, key, value, seq })` hears every write (value null: removal).
 */
export function sharedStore({ sched, rand, contexts, onWrite, delay = propagation }) {
  const byKey = new Map(); // key -> writes, oldest first: { seq, key, value, by, at, arrive: Map }
  const lastArrival = new Map(); // `${from}>${to}` -> mono
  const ctxs = new Set(contexts);
  let seq = 0;

  const write = (by, key, value) => {
    const w = { seq: ++seq, key, value, by, at: sched.mono, arrive: new Map() };
    for (const to of ctxs) {
      if (to === by) continue;
      const lane = `${by}>${to}`;
      const at = Math.max(lastArrival.get(lane) || 0, sched.mono + delay(rand));
      lastArrival.set(lane, at);
      w.arrive.set(to, at);
    }
    if (!byKey.has(key)) byKey.set(key, []);
    byKey.get(key).push(w);
    if (onWrite) onWrite(w);
  };

  const store = {
    /** When write `w` reached (or reaches) `ctx`'s view. */
    arrival: (w, ctx) => (w.by === ctx ? w.at : w.arrive.has(ctx) ? w.arrive.get(ctx) : w.at),
    /** The newest write of `key` that `ctx` sees now (undefined: never written). */
    seen(key, ctx) {
      const writes = byKey.get(key);
      if (!writes) return undefined;
      for (let i = writes.length - 1; i >= 0; i--) {
        if (store.arrival(writes[i], ctx) <= sched.mono) return writes[i];
      }
      return undefined;
    },
    /** The newest write of `key`, whoever sees it. */
    latest(key) {
      const writes = byKey.get(key);
      return writes ? writes[writes.length - 1] : undefined;
    },
    /** The newest write of `value` (null: of a removal) to `key`, seen or not (undefined: none). */
    lastWriteOf(key, value) {
      const writes = byKey.get(key) || [];
      for (let i = writes.length - 1; i >= 0; i--) if (writes[i].value === value) return writes[i];
      return undefined;
    },
    /** Puts a value in place before any tab runs (what a previous visit left). */
    seed(key, value) {
      const w = { seq: ++seq, key, value, by: null, at: -Infinity, arrive: new Map() };
      if (!byKey.has(key)) byKey.set(key, []);
      byKey.get(key).push(w);
    },
    addContext: (ctx) => ctxs.add(ctx),
    /**
     * Tab `ctx` loads a new page: it reads the browser's copy of storage, which every write made
     * before now has reached (only writes made after it opened travel to it).
     */
    reopen(ctx) {
      for (const writes of byKey.values()) {
        for (const w of writes) if (w.arrive.has(ctx) && w.arrive.get(ctx) > sched.mono) w.arrive.set(ctx, sched.mono);
      }
      for (const lane of lastArrival.keys()) if (lane.endsWith(`>${ctx}`)) lastArrival.set(lane, Math.min(lastArrival.get(lane), sched.mono));
    },
    /** The Storage object of tab `ctx`, with `observe(op, key, value)` told of every call. */
    view(ctx, observe) {
      return {
        getItem(key) {
          if (observe) observe('get', key);
          const w = store.seen(key, ctx);
          return w && w.value !== null ? w.value : null;
        },
        setItem(key, value) {
          if (observe) observe('set', key, String(value));
          write(ctx, key, String(value));
        },
        removeItem(key) {
          if (observe) observe('remove', key);
          write(ctx, key, null);
        },
      };
    },
  };
  return store;
}

/**
 * A Promise-returning storage over `sync` (a view without an observer), its operations queued
 * and delayed; `observe(op, key, value)` hears each call when it is made.
 */
export function asyncStorage({ sched, rand, ctx, sync, observe }) {
  let free = 0; // mono time from which the queue is free
  const run = (fn) => new Promise((resolve, reject) => {
    const start = Math.max(free, sched.mono) + rand.weighted([[80, () => 0], [15, () => rand.between(1, 10)], [5, () => rand.between(10, 300)]])();
    free = start;
    sched.at(start - sched.mono, ctx, () => {
      try {
        resolve(fn());
      } catch (error) {
        reject(error);
      }
    });
  });
  return {
    getItem(key) {
      if (observe) observe('get', key);
      return run(() => sync.getItem(key));
    },
    setItem(key, value) {
      if (observe) observe('set', key, String(value));
      return run(() => sync.setItem(key, value));
    },
    removeItem(key) {
      if (observe) observe('remove', key);
      return run(() => sync.removeItem(key));
    },
  };
}
