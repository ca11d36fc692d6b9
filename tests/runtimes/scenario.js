// The scenario every runtime runs (tests/runtimes/runtimes.test.mjs): browsers and web workers
// import it as an ES module, Node, Deno and Bun too, JavaScriptCore gets it bundled. Plain ES2017
// with no imports and no runtime-specific API beyond `fetch` and timers, so it runs as it is
// everywhere: the package comes in as `authlane` (the module namespace the host imported).
//
// It talks to two servers on 127.0.0.1 (tests/runtimes/world.mjs): the real auth server of
// tests/support/server.mjs (through the client) and a control server (plain fetch) that mints
// tokens, revokes them, makes the refresh endpoint fail, and marks where each step starts in the
// auth server's log. The host asserts on that log (what the server saw) and on the JSON this
// returns (what the app saw). The JSON never holds a token.

/** Steps in order; world.mjs splits the server's log by them. */
export const STEPS = ['decode', 'restore', 'expired', 'straggler', 'verify', 'definitive', 'dispose'];

/** The number of concurrent requests sent through an expired token. */
export const CONCURRENT = 5;

/**
 * @param {{ authlane: object, control: string, storage?: () => object, verify?: boolean,
 *   verifyJwt?: Function }} host
 *   `storage` makes a fresh TokenStorage for each client (default: an in-memory one);
 *   `verify` false for entries without verifyJwt (authlane/react-native): the step then records
 *   how verifyJwt refused; `verifyJwt` replaces the entry's own (one from `authlane/verify`).
 * @returns {Promise<object>} one entry per step: what the app saw, or `{ error }`.
 */
export async function runScenario(host) {
  const { authlane } = host;
  const makeStorage = host.storage || memoryStorage;
  const control = (path, body) =>
    fetch(host.control + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) })
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error('control ' + path + ': HTTP ' + r.status))));
  const config = await control('/config');
  const result = { steps: {} };
  const clients = [];

  const newClient = async (storage) => {
    const actions = [];
    const client = await authlane.createAuthClient({
      baseUrl: config.api,
      refresh: { url: '/refresh' },
      storage,
      dispatch: (action) => actions.push(action),
    });
    clients.push(client);
    return { client, actions };
  };
  const types = (actions) => actions.map((a) => a.type.replace('authlane/', ''));
  const code = (e) => (authlane.isAuthlaneError(e) ? e.code : 'not an AuthlaneError: ' + describe(e));
  const statusOrCode = (promise) => promise.then((r) => r.status, code);

  let session; // the client of steps restore .. definitive, and its storage
  const steps = {
    async decode() {
      const pair = await control('/issue', { ttl: 300 });
      const claims = authlane.decodeJwt(pair.accessToken);
      const header = authlane.decodeJwt(pair.accessToken, { header: true });
      let broken = null;
      try { authlane.decodeJwt('not-a-jwt'); } catch (e) { broken = code(e); }
      return { name: claims.name, sub: claims.sub, expIsNumber: typeof claims.exp === 'number', alg: header.alg, broken };
    },

    async restore() {
      const pair = await control('/issue', { ttl: 300 });
      const storage = makeStorage();
      await storage.setItem('authlane.accessToken', pair.accessToken);
      await storage.setItem('authlane.refreshToken', pair.refreshToken);
      session = Object.assign(await newClient(storage), { storage });
      const restored = session.actions.find((a) => a.type === authlane.ACTION.restored);
      const now = session.client.session();
      const response = await session.client.fetch('/api/me');
      const body = await response.json();
      return {
        restored: restored ? restored.payload.authenticated : null,
        authenticated: now.authenticated,
        name: now.claims && now.claims.name,
        status: response.status,
        sub: body.sub,
      };
    },

    async expired() {
      const pair = await control('/issue', { ttl: -30 });
      await session.client.login(pair);
      session.actions.length = 0;
      const statuses = await Promise.all(range(CONCURRENT).map((i) => statusOrCode(session.client.fetch('/api/items?i=' + i))));
      return {
        statuses,
        actions: types(session.actions),
        rotated: (await session.storage.getItem('authlane.accessToken')) !== pair.accessToken &&
          (await session.storage.getItem('authlane.refreshToken')) !== pair.refreshToken,
      };
    },

    async straggler() {
      await control('/revoke'); // the server stops accepting every access token issued so far
      session.actions.length = 0;
      const statuses = await Promise.all([1, 2].map((i) => statusOrCode(session.client.fetch('/api/late?i=' + i))));
      const started = session.actions.filter((a) => a.type === authlane.ACTION.refreshStarted);
      return { statuses, actions: types(session.actions), reasons: started.map((a) => a.payload.reason) };
    },

    async verify() {
      const token = await session.storage.getItem('authlane.accessToken');
      const verifyJwt = host.verifyJwt || authlane.verifyJwt;
      const verifyWith = (t, algorithms) => verifyJwt(t, { key: config.secret, algorithms }).then((p) => 'ok:' + p.name, code);
      if (host.verify === false) return { refused: await verifyWith(token, ['HS256']) };
      // Another first character of the signature: still canonical base64url (all 6 bits used).
      const at = token.lastIndexOf('.') + 1;
      const tampered = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);
      return {
        valid: await verifyWith(token, ['HS256']),
        tampered: await verifyWith(tampered, ['HS256']),
        wrongAlgorithm: await verifyWith(token, ['HS512']),
      };
    },

    async definitive() {
      // The refusal comes late enough that all three rejections are in by then.
      await control('/fail-refresh', { mode: 401 });
      await control('/refresh-delay', { ms: 300 });
      await control('/revoke');
      session.actions.length = 0;
      const outcomes = await Promise.all([1, 2, 3].map((i) => statusOrCode(session.client.fetch('/api/gone?i=' + i))));
      await control('/fail-refresh', { mode: null });
      await control('/refresh-delay', { ms: 0 });
      const expired = session.actions.filter((a) => a.type === authlane.ACTION.sessionExpired);
      return {
        outcomes,
        actions: types(session.actions),
        reasons: expired.map((a) => a.payload.reason),
        authenticated: session.client.session().authenticated,
        stored: [await session.storage.getItem('authlane.accessToken'), await session.storage.getItem('authlane.refreshToken')]
          .filter((v) => v !== null && v !== undefined).length,
      };
    },

    async dispose() {
      session.client.dispose();
      // A fresh client with auto refresh on and a request held behind a slow refresh: dispose()
      // must reject the request with LOGGED_OUT, abort the refresh call and stop every timer.
      const { client } = await newClient(makeStorage());
      await client.login(await control('/issue', { ttl: -30 }));
      client.startAutoRefresh();
      await control('/refresh-delay', { ms: 5000 }); // far longer than the host waits for an exit
      const held = statusOrCode(client.fetch('/api/held'));
      await control('/await-refresh'); // resolves once the server has received the refresh call
      client.dispose();
      const outcome = await held;
      await control('/refresh-delay', { ms: 0 });
      return { held: outcome };
    },
  };

  for (const name of STEPS) {
    try {
      await control('/mark', { step: name });
      result.steps[name] = await steps[name]();
    } catch (e) {
      result.steps[name] = { error: describe(e) };
    }
  }
  for (const client of clients) client.dispose(); // a second dispose is harmless
  await control('/mark', { step: 'end' });
  return result;
}

function range(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(i);
  return out;
}

/** A plain in-memory TokenStorage, synchronous like localStorage. */
function memoryStorage() {
  const items = {};
  return {
    getItem: (k) => (Object.prototype.hasOwnProperty.call(items, k) ? items[k] : null),
    setItem: (k, v) => { items[k] = String(v); },
    removeItem: (k) => { delete items[k]; },
  };
}

function describe(e) {
  if (e && typeof e === 'object') return (e.name || 'Error') + (e.code ? ' ' + e.code : '') + ': ' + e.message + (e.stack ? '\n' + e.stack : '');
  return String(e);
}
