// React Native scenarios (authlane/react-native and authlane/verify), run in the real Hermes VM
// (bundled by tests/js/hermes.test.mjs) and in Node with WebAssembly deleted. A fake fetch and
// fake storage stand in for the app's; where the engine lacks Request, Headers or AbortController
// (Hermes CLI; React Native provides them), small fakes are installed first.
import './fakes.mjs';
import { createAuthClient, decodeJwt, verifyJwt as verifyFromMain, keychainStorage, isAuthlaneError } from 'authlane/react-native';
// The React Native build of authlane/verify: rn/verify.js, by the `react-native` export condition
// (Metro sets it; tests/js/hermes.test.mjs passes it to esbuild and to Node).
import { verifyJwt } from 'authlane/verify';
// DPoP's module and signer (Hermes has no WebCrypto): registered by this import.
import 'authlane/dpop';
import { fixtures } from './verify-fixtures.mjs';

const b64url = (text) => {
  const bytes = new TextEncoder().encode(text);
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    const chars = [abc[(n >> 18) & 63], abc[(n >> 12) & 63], abc[(n >> 6) & 63], abc[n & 63]];
    out += chars.slice(0, i + 2 > bytes.length ? 2 : i + 3 > bytes.length ? 3 : 4).join('');
  }
  return out;
};
const fromB64url = (text) => {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const out = [];
  let bits = 0;
  let value = 0;
  for (let i = 0; i < text.length; i++) {
    value = (value << 6) | abc.indexOf(text[i]);
    bits += 6;
    if (bits >= 8) { bits -= 8; out.push((value >> bits) & 255); }
  }
  return new Uint8Array(out);
};
const nowS = () => Math.floor(Date.now() / 1000);
const jwt = (claims) => `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.sig`;

/** A fake API: /refresh rotates tokens (or fails as told), /api/* wants a live token. */
function world() {
  const w = { refreshCalls: 0, apiCalls: 0, refreshMode: 'ok', live: new Set(), n: 0 };
  w.issue = (ttl) => {
    w.n += 1;
    const accessToken = jwt({ sub: 'u1', name: 'Zoë 日本', iat: nowS(), exp: nowS() + ttl, n: w.n });
    w.live.add(accessToken);
    return { accessToken, refreshToken: 'rt' + w.n };
  };
  const reply = (status, body) => Promise.resolve({
    status, ok: status >= 200 && status < 300, body: null,
    headers: { get: () => null },
    text: () => Promise.resolve(JSON.stringify(body)),
    json: () => Promise.resolve(body),
  });
  w.fetch = (input, init) => {
    const url = typeof input === 'string' ? input : input.url;
    const headers = typeof input === 'string' ? new Headers((init && init.headers) || {}) : input.headers;
    if (url.endsWith('/refresh')) {
      w.refreshCalls += 1;
      if (w.refreshMode === 'definitive') return reply(401, { error: 'revoked' });
      return reply(200, w.issue(600));
    }
    w.apiCalls += 1;
    const token = (headers.get('authorization') || '').replace('Bearer ', '');
    return reply(w.live.has(token) && !w.expiredNow ? 200 : 401, { url });
  };
  return w;
}

function memory() {
  const items = new Map();
  return { items, getItem: async (k) => (items.has(k) ? items.get(k) : null), setItem: async (k, v) => void items.set(k, v), removeItem: async (k) => void items.delete(k) };
}

function fakeKeychain() {
  const entries = new Map();
  return {
    entries,
    getGenericPassword: async (o) => (entries.has(o.service) ? { username: 'authlane', password: entries.get(o.service) } : false),
    setGenericPassword: async (u, p, o) => { entries.set(o.service, p); return true; },
    resetGenericPassword: async (o) => { entries.delete(o.service); return true; },
  };
}

const options = (w, storage) => ({ baseUrl: 'https://api.example', refresh: { url: '/refresh' }, fetch: w.fetch, storage, timeoutMs: 0, refreshTimeoutMs: 0 });

export const scenarios = {
  'after the module memory grows, strings still cross intact both ways': async () => {
    // A 3 MB claim makes the wasm2js memory grow (a new buffer): the glue must not keep a stale view.
    const big = 'x'.repeat(3 * 1024 * 1024);
    check(decodeJwt(jwt({ big })).big.length === big.length, 'the big claim came back whole');
    let message = '';
    try { await createAuthClient({ baseUrl: 'not a url', refresh: { url: '/r' } }); } catch (e) { message = e.message; }
    check(message === 'createAuthClient: baseUrl must be an absolute http(s) URL', 'message was [' + message + ']');
    const w = world();
    const client = await createAuthClient(options(w, memory()));
    check(client.session().authenticated === false, 'valid options accepted');
    client.dispose();
  },
  'decodeJwt reads UTF-8 claims without atob or TextDecoder of its own': async () => {
    const claims = decodeJwt(jwt({ name: 'Zoë 日本 😀', n: 1 }));
    check(claims.name === 'Zoë 日本 😀', 'name was ' + claims.name);
  },
  'login, then 5 concurrent requests with an expired token make exactly one refresh': async () => {
    const w = world();
    const client = await createAuthClient(options(w, memory()));
    await client.login(w.issue(-30));
    const statuses = await Promise.all([1, 2, 3, 4, 5].map(() => client.fetch('/api/items').then((r) => r.status)));
    check(statuses.join() === '200,200,200,200,200', 'statuses ' + statuses);
    check(w.refreshCalls === 1, 'refresh calls ' + w.refreshCalls);
    check(client.session().claims.name === 'Zoë 日本', 'claims after refresh');
    client.dispose();
  },
  'a definitive refresh failure rejects SESSION_EXPIRED and removes the tokens': async () => {
    const w = world();
    const storage = memory();
    const client = await createAuthClient(options(w, storage));
    await client.login(w.issue(-30));
    w.refreshMode = 'definitive';
    const results = await Promise.all([1, 2, 3].map(() => client.fetch('/api/x').then(() => 'ok', (e) => (isAuthlaneError(e) ? e.code : String(e)))));
    check(results.join() === 'SESSION_EXPIRED,SESSION_EXPIRED,SESSION_EXPIRED', 'results ' + results);
    check(storage.items.size === 0, 'storage emptied');
    check(w.refreshCalls === 1, 'refresh calls ' + w.refreshCalls);
    client.dispose();
  },
  'in development, a custom header name warns that React Native follows redirects itself': async () => {
    const w = world();
    const warned = [];
    const warn = console.warn;
    console.warn = (line) => warned.push(String(line));
    try {
      globalThis.__DEV__ = true;
      (await createAuthClient(options(w, memory()))).dispose();
      check(warned.length === 0, 'no warning with the Authorization header: ' + warned);
      (await createAuthClient({ ...options(w, memory()), header: { name: 'X-Auth', scheme: '' } })).dispose();
      check(warned.length === 1 && warned[0].includes('X-Auth') && warned[0].includes('redirect'), 'warned: ' + warned);
      globalThis.__DEV__ = false;
      (await createAuthClient({ ...options(w, memory()), header: { name: 'X-Auth', scheme: '' } })).dispose();
      check(warned.length === 1, 'no warning in production: ' + warned);
    } finally {
      console.warn = warn;
      delete globalThis.__DEV__;
    }
  },
  'authlane/verify: HS256 with a secret, RS256 and ES256 with a JWK; a tampered token is SIGNATURE_INVALID': async () => {
    const outcome = (promise) => promise.then((p) => 'ok:' + p.sub + ':' + p.name, (e) => (isAuthlaneError(e) ? e.code + ':' + e.reason : 'not an AuthlaneError: ' + e));
    const forged = (token) => {
      const [h, , s] = token.split('.');
      return h + '.' + b64url(JSON.stringify({ sub: 'admin', name: 'Zoë 日本', exp: 4102444800 })) + '.' + s;
    };
    for (const alg of ['HS256', 'RS256', 'ES256']) {
      const { key, token } = fixtures[alg.toLowerCase()];
      const options = { key, algorithms: [alg], issuer: 'https://id.example', audience: 'app' };
      const valid = await outcome(verifyJwt(token, options));
      check(valid === 'ok:user-1:Zoë 日本', alg + ' valid: ' + valid);
      const tampered = await outcome(verifyJwt(forged(token), options));
      check(tampered === 'SIGNATURE_INVALID:signature', alg + ' tampered: ' + tampered);
      const issuer = await outcome(verifyJwt(token, { ...options, issuer: 'https://other.example' }));
      check(issuer === 'SIGNATURE_INVALID:issuer', alg + ' wrong issuer: ' + issuer);
    }
    const wrongAlgorithm = await outcome(verifyJwt(fixtures.rs256.token, { key: fixtures.rs256.key, algorithms: ['ES256'] }));
    check(wrongAlgorithm === 'SIGNATURE_INVALID:algorithm', 'RS256 token, ES256 allowed: ' + wrongAlgorithm);
    // authlane/react-native's own verifyJwt has no crypto: it says where verifyJwt is.
    let refused = null;
    try { await verifyFromMain(fixtures.hs256.token, { key: fixtures.hs256.key, algorithms: ['HS256'] }); } catch (e) { refused = e; }
    check(isAuthlaneError(refused) && refused.code === 'INVALID_CONFIG', 'authlane/react-native verifyJwt: ' + (refused && refused.code));
    check(refused.message.includes("'authlane/verify'"), 'the message names authlane/verify: ' + refused.message);
  },
  'authlane/dpop: a DPoP token goes as DPoP with a proof that verifies with its jwk; the keyStore keeps the private JWK; without the import, INVALID_CONFIG names it': async () => {
    const sent = [];
    const reply = (status, body) => Promise.resolve({
      status, ok: status < 300, body: null, headers: { get: () => null },
      text: () => Promise.resolve(JSON.stringify(body)), json: () => Promise.resolve(body),
    });
    const fetch = (input, init) => {
      const url = typeof input === 'string' ? input : input.url;
      const headers = typeof input === 'string' ? new Headers((init && init.headers) || {}) : input.headers;
      sent.push({ url, authorization: headers.get('authorization'), dpop: headers.get('dpop') });
      if (url.endsWith('/refresh')) return reply(200, { access_token: 'at-2', refresh_token: 'rt-2', expires_in: 600, token_type: 'DPoP' });
      return reply(200, {});
    };
    const saved = [];
    const keyStore = { load: async () => saved[saved.length - 1] || null, save: async (jwk) => void saved.push(jwk), remove: async () => void saved.push(null) };
    const client = await createAuthClient({ baseUrl: 'https://api.example', refresh: { url: '/refresh' }, fetch, storage: memory(), dpop: { keyStore } });
    const jkt = client.session().dpop && client.session().dpop.jkt;
    check(typeof jkt === 'string' && jkt.length === 43, 'session().dpop.jkt: ' + jkt);
    check(saved.length === 1 && typeof saved[0].d === 'string' && saved[0].crv === 'P-256', 'the keyStore got a private P-256 JWK');
    await client.login({ access_token: 'at-1', refresh_token: 'rt-1', expires_in: 600, token_type: 'DPoP' });
    await client.fetch('/api/items?page=2');
    await client.refresh();
    await client.fetch('/api/items', { method: 'POST', body: '{}' });
    check(sent.map((s) => s.url.replace('https://api.example', '')).join() === '/api/items?page=2,/refresh,/api/items', 'sent: ' + sent.map((s) => s.url));
    check(sent[0].authorization === 'DPoP at-1' && sent[2].authorization === 'DPoP at-2', 'Authorization: DPoP <token>');
    for (const [i, htm, htu] of [[0, 'GET', 'https://api.example/api/items'], [1, 'POST', 'https://api.example/refresh'], [2, 'POST', 'https://api.example/api/items']]) {
      const header = JSON.parse(new TextDecoder().decode(fromB64url(sent[i].dpop.split('.')[0])));
      const payload = await verifyJwt(sent[i].dpop, { key: header.jwk, algorithms: ['ES256'] });
      check(header.typ === 'dpop+jwt' && payload.htm === htm && payload.htu === htu, 'proof ' + i + ': ' + header.typ + ' ' + payload.htm + ' ' + payload.htu);
      check(header.jwk.x === saved[0].x && header.jwk.d === undefined, 'proof ' + i + ' names the public key only');
      check((i === 1) === (payload.ath === undefined), 'ath on the requests, not on the refresh call');
    }
    client.dispose();
    const registered = globalThis[Symbol.for('authlane.dpop')];
    delete globalThis[Symbol.for('authlane.dpop')];
    let refused = null;
    try { await createAuthClient({ baseUrl: 'https://api.example', refresh: { url: '/refresh' }, fetch, dpop: true }); } catch (e) { refused = e; }
    globalThis[Symbol.for('authlane.dpop')] = registered;
    check(isAuthlaneError(refused) && refused.code === 'INVALID_CONFIG' && refused.message.includes("'authlane/dpop'"), 'without authlane/dpop: ' + (refused && refused.message));
  },
  'split storage: the refresh token goes to the secure adapter only': async () => {
    const w = world();
    const asyncStorage = memory();
    const keychain = fakeKeychain();
    const client = await createAuthClient(options(w, { access: asyncStorage, refresh: keychainStorage(keychain) }));
    await client.login(w.issue(-30));
    await client.fetch('/api/items');
    const secure = keychain.entries.get('authlane.refreshToken');
    check(secure === 'rt2', 'keychain holds the rotated refresh token, got ' + secure);
    check(!asyncStorage.items.has('authlane.refreshToken'), 'no refresh token in AsyncStorage');
    check(asyncStorage.items.get('authlane.accessToken') === [...w.live].pop(), 'AsyncStorage holds the new access token');
    client.dispose();
  },
};

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** Runs every scenario; reports through `say`, returns the number failed. */
export async function run(say) {
  let passed = 0;
  let failed = 0;
  const names = Object.keys(scenarios);
  for (let i = 0; i < names.length; i++) {
    try {
      await scenarios[names[i]]();
      passed += 1;
      say('ok - ' + names[i]);
    } catch (e) {
      failed += 1;
      say('not ok - ' + names[i] + ': ' + ((e && e.message) || e));
    }
  }
  say(`hermes: ${passed} passed, ${failed} failed`);
  return failed;
}
