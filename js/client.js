// createAuthClient: the core (crates/core, in the wasm module) decides; this shell performs what
// it asks (sends, storage, locks, messages, timers, dispatch) and reports what came of it.
// runner.js feeds the core and performs its effects; requests.js is client.fetch.
import { core, loadDpopCore } from './wasm.js';
import { IN } from './core.js';
import { describe } from './describe.js';
import { makeError } from './errors.js';
import { memoryStorage } from './storage.js';
import { runner } from './runner.js';
import { requests } from './requests.js';

function splitStorage(storage) {
  if (storage == null) {
    const memory = memoryStorage();
    return { access: memory, refresh: memory };
  }
  if (typeof storage.getItem === 'function') return { access: storage, refresh: storage };
  return { access: storage.access, refresh: storage.refresh };
}

/** What the core needs to know of this environment to check the options. */
function environment() {
  const g = globalThis;
  const crypto = g.crypto;
  let random;
  if (crypto && typeof crypto.getRandomValues === 'function') {
    const bytes = crypto.getRandomValues(new Uint8Array(32));
    random = String.fromCharCode(...bytes.map((b) => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(b & 63)));
  }
  return {
    documentUrl: g.location && typeof g.location.href === 'string' ? g.location.href : undefined,
    globalFetch: typeof g.fetch === 'function',
    webLocks: Boolean(g.navigator && g.navigator.locks && typeof g.navigator.locks.request === 'function'),
    // DPoP's: randomness for the proofs' jti, and a way to sign them (WebCrypto, or the signer
    // `authlane/dpop` registers where there is none).
    random,
    signer: Boolean(crypto && crypto.subtle) || Boolean(g[Symbol.for('authlane.dpop')]),
  };
}

const isDevelopment = () => {
  try {
    if (typeof __DEV__ !== 'undefined') return Boolean(__DEV__);
    return typeof process === 'object' && process !== null && process.env && process.env.NODE_ENV !== 'production';
  } catch {
    return false;
  }
};

/**
 * Creates a ready client: loads the module, reads the stored tokens.
 * @example
 * const client = await createAuthClient({ baseUrl: 'https://api.example.com', refresh: { url: '/auth/refresh' } });
 * const res = await client.fetch('/me');
 */
export async function createAuthClient(options) {
  const record = JSON.stringify({ options: describe(options), env: environment() });
  // A client with `dpop` runs the module with DPoP, loaded now (the other one refuses the option).
  const wantsDpop = options !== null && typeof options === 'object' && options.dpop !== undefined && options.dpop !== false;
  const engine = wantsDpop ? await loadDpopCore() : core;
  const made = engine.create(record, Math.floor(Math.random() * 2 ** 52));
  if (made.error) throw makeError(made.error.code, made.error.message);
  const { handle, facts } = made;
  if (facts.unknown.length > 0 && isDevelopment() && typeof console === 'object') {
    console.warn(`authlane: createAuthClient ignores the option${facts.unknown.length > 1 ? 's' : ''} ${facts.unknown.join(', ')}: not an option of this version (see its README)`);
  }
  const run = runner({ core: engine, handle, facts, options, storages: splitStorage(options.storage) });
  const fetchPath = requests(run);
  try {
    await run.call(IN.start);
  } catch (error) {
    run.dispose();
    throw error;
  }

  const live = (fn) => (...args) => (run.disposed ? run.gone() : fn(...args));
  return {
    fetch: live(fetchPath.fetch),
    login: live((tokens) => {
      let text;
      try {
        text = JSON.stringify(tokens === undefined || tokens === null ? {} : tokens) || '';
      } catch {
        text = '';
      }
      return run.call(IN.login, [], text);
    }),
    logout: live(() => run.call(IN.logout)),
    getAccessToken: live(() => run.call(IN.accessToken)),
    refresh: live(() => run.call(IN.refresh)),
    session: () => run.session(),
    dpopProof: live((method, url, options) => {
      const nonce = options !== null && typeof options === 'object' && typeof options.nonce === 'string' ? options.nonce : '';
      return run.call(IN.proof, [], `${String(method)}\u0000${String(url)}\u0000${nonce}`);
    }),
    subscribe: run.subscribe,
    startAutoRefresh() {
      if (!run.disposed) run.feed(IN.autoRefresh, [1]);
    },
    stopAutoRefresh() {
      if (!run.disposed) run.feed(IN.autoRefresh, [0]);
    },
    dispose: () => run.dispose(),
  };
}
