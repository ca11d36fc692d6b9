// Clients of one app (one JS realm) created with the same storage objects and storageKey (a
// double mount, hot reload, two modules that each make one) share their refreshes (API.md, "One
// refresh per storage, per app"): one lock between them, so the second finds the first's tokens
// in storage instead of spending the refresh token again, and each hears the others' news.

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
 * Waits for the group's refresh lock. Resolves with its release, or with null when `timeoutMs`
 * passed first or the client was disposed (`timers` clears the wait): the lock holder may hang,
 * and the refresh then goes on without it, reading storage before every attempt. A place given
 * up is released as soon as its turn comes, so the queue never stalls.
 */
export function lockGroup(group, timeoutMs, timers) {
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
    turn.then(() => {
      if (!waiting) return;
      waiting = false;
      timers.clear(timer);
      resolve(release);
    });
  });
}
