// Web Locks (`navigator.locks`) as the browser's lock manager runs them for every tab of an
// origin: exclusive locks by name, granted in request order; `ifAvailable` (the callback gets
// null when the lock is held or others wait for it), `signal` (a waiting request that aborts is
// removed and rejects with the signal's reason). A lock is held until the promise its callback
// returned settles, which happens in the holder's own tasks: a frozen holder holds it for as long
// as it is frozen. Grants and releases cross the browser's process boundary: each takes a seeded
// few ms, and the callback runs as a task of the requesting tab.
// Not modelled: shared mode, `steal`, `query()`.

/** The lock manager of one browser; `view(ctx)` is a tab's `navigator.locks`. */
export function lockManager({ sched, rand, onEvent }) {
  const locks = new Map(); // name -> { held: request | null, queue: [] }
  const ipc = () => (rand.chance(0.8) ? 0 : rand.between(1, 5));
  const get = (name) => {
    if (!locks.has(name)) locks.set(name, { held: null, queue: [] });
    return locks.get(name);
  };
  const note = (what, name, ctx) => onEvent && onEvent(what, name, ctx);

  const run = (name, req, lock) => {
    sched.at(ipc(), req.ctx, () => {
      let result;
      try {
        result = req.callback(lock);
      } catch (error) {
        result = Promise.reject(error);
      }
      Promise.resolve(result).then(
        (value) => {
          if (lock) release(name, req);
          req.resolve(value);
        },
        (error) => {
          if (lock) release(name, req);
          req.reject(error);
        },
      );
    });
  };
  const grant = (name, req) => {
    get(name).held = req;
    if (req.unlisten) req.unlisten();
    note('granted', name, req.ctx);
    run(name, req, { name, mode: 'exclusive' });
  };
  const release = (name, req) => {
    const l = get(name);
    if (l.held !== req) return;
    l.held = null;
    note('released', name, req.ctx);
    sched.at(ipc(), null, () => {
      if (l.held === null && l.queue.length > 0) grant(name, l.queue.shift());
    });
  };

  return {
    /** Who holds lock `name` (a ctx), or null. */
    holder: (name) => (locks.has(name) && locks.get(name).held ? locks.get(name).held.ctx : null),
    /** Tab `ctx` was closed: its locks are released and its waits dropped. */
    close(ctx) {
      for (const [name, l] of locks) {
        l.queue = l.queue.filter((r) => r.ctx !== ctx);
        if (l.held && l.held.ctx === ctx) release(name, l.held);
      }
    },
    view(ctx) {
      return {
        request(name, options, callback) {
          if (typeof options === 'function') {
            callback = options;
            options = {};
          }
          options = options || {};
          return new Promise((resolve, reject) => {
            const req = { ctx, callback, resolve, reject, unlisten: null };
            const signal = options.signal;
            if (signal && signal.aborted) return reject(signal.reason);
            const l = get(name);
            const free = l.held === null && l.queue.length === 0;
            if (options.ifAvailable) {
              if (free) return grant(name, req);
              note('unavailable', name, ctx);
              return run(name, req, null);
            }
            if (free) return grant(name, req);
            l.queue.push(req);
            note('queued', name, ctx);
            if (signal) {
              const onAbort = () => {
                const at = l.queue.indexOf(req);
                if (at < 0) return;
                l.queue.splice(at, 1);
                note('withdrawn', name, ctx);
                reject(signal.reason);
              };
              signal.addEventListener('abort', onAbort, { once: true });
              req.unlisten = () => signal.removeEventListener('abort', onAbort);
            }
          });
        },
      };
    },
  };
}
