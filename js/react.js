// The `authlane/react` entry: useSession(client), the session as React state. The only file of
// the package that imports `react` (an optional peer dependency).
import { useSyncExternalStore } from 'react';
import { ACTION } from './actions.js';

/** The actions after which no refresh is in flight any more. */
const SETTLED = new Set([
  ACTION.refreshSucceeded,
  ACTION.refreshFailed,
  ACTION.sessionExpired,
  ACTION.loggedOut,
  ACTION.loggedIn,
  ACTION.restored,
]);

const NO_SESSION = Object.freeze({ authenticated: false, claims: null, expiresAt: null, refreshing: false });
const noStore = { subscribe: () => () => {}, snapshot: () => NO_SESSION };

/** One store per client, shared by every component that reads it. */
const stores = new WeakMap();

/**
 * The client's session for React: one subscription to the client (from the first useSession on),
 * which keeps `refreshing` from the actions and wakes the components. The snapshot object is
 * replaced only when what it holds changed: client.session() returns a new object (and new claims)
 * on every call, so it is compared by value.
 */
function storeOf(client) {
  let store = stores.get(client);
  if (store !== undefined) return store;
  const listeners = new Set();
  let refreshing = false;
  let cached = NO_SESSION;
  let cachedKey = '';
  client.subscribe((action) => {
    if (action.type === ACTION.refreshStarted) refreshing = true;
    else if (SETTLED.has(action.type)) refreshing = false;
    for (const listener of [...listeners]) listener();
  });
  store = {
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    snapshot() {
      const { authenticated, claims, expiresAt } = client.session();
      const key = `${authenticated}|${expiresAt}|${refreshing}|${JSON.stringify(claims)}`;
      if (key !== cachedKey) {
        cachedKey = key;
        cached = Object.freeze({ authenticated, claims, expiresAt, refreshing });
      }
      return cached;
    },
  };
  stores.set(client, store);
  return store;
}

/**
 * `client.session()` plus `refreshing`, as React state: the component re-renders when a lifecycle
 * action changes them, and gets the same object while nothing changed. On the server (and while
 * hydrating) it reads the client given, as in the browser. A `null` or `undefined` client (one
 * still being created) reads as logged out.
 * @example
 * const { authenticated, claims, refreshing } = useSession(client);
 */
export function useSession(client) {
  const store = client == null ? noStore : storeOf(client);
  return useSyncExternalStore(store.subscribe, store.snapshot, store.snapshot);
}
