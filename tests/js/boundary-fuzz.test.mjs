// Seeded random inputs at every place untrusted values cross into the wasm module: options,
// stored values, refresh responses (status, body, headers; endpoint and function forms) and
// tokens. Whatever comes in, every promise settles, every error is an AuthlaneError with a
// documented code, and the same module instance keeps working afterwards (a panic would trap it).
// FUZZ_SEED=<n> replays one seed; a failure names its seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, decodeJwt, isAuthlaneError, memoryStorage } from 'authlane';
import { settlesWithin } from '../support/harness.mjs';

const SEEDS = process.env.FUZZ_SEED ? [Number(process.env.FUZZ_SEED)] : Array.from({ length: 150 }, (_, i) => i + 1);
const CODES = new Set(['INVALID_CONFIG', 'SESSION_EXPIRED', 'REFRESH_FAILED', 'BAD_REFRESH_RESPONSE', 'LOGGED_OUT', 'TIMEOUT', 'NETWORK_ERROR', 'STORAGE_ERROR']);
const b64 = (v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url');
const jwt = (claims) => `${b64({ alg: 'HS256' })}.${b64(claims)}.sig`;
const fresh = () => jwt({ sub: 'u', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600 });

/** mulberry32: a small seeded PRNG. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  const pick = (xs) => xs[int(xs.length)];
  const text = (n = int(40)) => Array.from({ length: n }, () => String.fromCharCode(pick([int(128), 32 + int(95), int(0x3000)]))).join('');
  const value = (depth = 0) => {
    switch (int(depth > 2 ? 9 : 12)) {
      case 0: return null;
      case 1: return undefined;
      case 2: return pick([0, -1, 1e308, -0, NaN, Infinity, 2 ** 53 + 1, 3.5]);
      case 3: return pick([true, false]);
      case 4: return text();
      case 5: return fresh();
      case 6: return pick(['', ' ', 'a b', 'x\n', 'tok\u0000', '\u00a0']);
      case 7: return text(int(3) === 0 ? 100_000 : 5);
      case 8: return Symbol('s');
      case 9: return Array.from({ length: int(4) }, () => value(depth + 1));
      case 10: return Object.fromEntries(Array.from({ length: int(4) }, () => [pick(['accessToken', 'access_token', 'token', 'authToken', 'refreshToken', 'refresh_token', 'expiresIn', 'expires_in', text(4)]), value(depth + 1)]));
      default: return () => value(depth + 1);
    }
  };
  return { next, int, pick, text, value };
}

/** Settles within 5 s; an error must be a documented AuthlaneError, never a trap. */
async function documented(promise, what) {
  const r = await settlesWithin(promise, 5000, what);
  if ('error' in r) {
    const e = r.error;
    assert.ok(!(e instanceof WebAssembly.RuntimeError), `${what}: the module trapped: ${e && e.message}`);
    assert.ok(isAuthlaneError(e) && CODES.has(e.code), `${what}: undocumented error ${e && e.name} ${e && e.code}: ${e && e.message}`);
  }
  return r;
}

/** The module still works: a good client refreshes and sends with its new token. */
async function stillWorks() {
  const next = fresh();
  const client = await createAuthClient({
    baseUrl: 'https://api.example',
    refresh: async () => ({ accessToken: next }),
    fetch: async (_, init) => new Response(new Headers(init.headers).get('authorization')),
  });
  await client.login({ accessToken: jwt({ exp: 1 }), refreshToken: 'r' });
  assert.equal(await (await client.fetch('/x')).text(), `Bearer ${next}`);
  client.dispose();
}

function randomOptions(r) {
  const o = { refresh: r.pick([{ url: 'https://api.example/refresh' }, async () => null, r.value()]) };
  for (const key of ['baseUrl', 'allowedOrigins', 'storage', 'storageKey', 'refreshOn', 'leewaySeconds', 'timeoutMs', 'refreshTimeoutMs', 'refreshRetry', 'header', 'fetch', 'dispatch', 'crossTab', 'now']) {
    if (r.int(3) === 0) o[key] = r.value();
  }
  if (r.int(2)) o.refresh = { url: r.pick(['/r', r.text(8), 'https://api.example/r']), method: r.value(), headers: r.value(), body: r.value(), parse: r.value() };
  return o;
}

test('random options: createAuthClient resolves or rejects with INVALID_CONFIG', async () => {
  for (const seed of SEEDS) {
    const r = rng(seed);
    const result = await documented(createAuthClient(randomOptions(r)), `seed ${seed}`);
    if ('value' in result) result.value.dispose();
    else assert.equal(result.error.code, 'INVALID_CONFIG', `seed ${seed}: ${result.error.message}`);
  }
  await stillWorks();
});

test('random stored values: unusable ones count as logged out, throwing storage gives STORAGE_ERROR', async () => {
  for (const seed of SEEDS) {
    const r = rng(seed);
    const stored = { 'authlane.accessToken': r.value(), 'authlane.refreshToken': r.value() };
    const mode = r.pick(['value', 'promise', 'throws', 'rejects']);
    const get = (k) => {
      if (mode === 'value') return stored[k];
      if (mode === 'promise') return Promise.resolve(stored[k]);
      if (mode === 'throws') throw stored[k];
      return Promise.reject(stored[k]);
    };
    let removeFailed = false;
    const removeItem = () => (r.int(2) ? undefined : ((removeFailed = true), Promise.reject(r.value())));
    const storage = { getItem: get, setItem: () => r.value(), removeItem };
    const result = await documented(createAuthClient({ baseUrl: 'https://api.example', refresh: async () => null, storage, fetch: async () => new Response('ok') }), `seed ${seed}`);
    if (mode === 'throws' || mode === 'rejects') {
      assert.equal(result.error?.code, 'STORAGE_ERROR', `seed ${seed}: storage that ${mode} at start`);
      continue;
    }
    if (removeFailed && 'error' in result) {
      // An unusable stored value that could not be removed is a storage failure at start.
      assert.equal(result.error.code, 'STORAGE_ERROR', `seed ${seed}`);
      continue;
    }
    assert.ok('value' in result, `seed ${seed}: ${result.error?.message}`);
    const client = result.value;
    await documented(client.fetch('/x'), `seed ${seed} fetch`);
    client.dispose();
  }
  await stillWorks();
});

test('random refresh answers (endpoint form): every held request settles with a documented outcome', async () => {
  for (const seed of SEEDS) {
    const r = rng(seed);
    const status = r.pick([200, 200, 200, 201, 204, 400, 401, 403, 404, 429, 500, 503]);
    const nullBody = status === 204;
    const body = nullBody ? null : r.pick([() => JSON.stringify(r.value()), () => r.text(), () => JSON.stringify({ accessToken: r.value(), refreshToken: r.value(), expiresIn: r.value() })])();
    const headers = {};
    if (r.int(2)) headers.date = r.pick([r.text(10).replace(/[^ -~]/g, ''), new Date(Date.now() + (r.next() - 0.5) * 1e10).toUTCString(), '0']);
    if (r.int(2)) headers['retry-after'] = r.pick(['0', '1', '-5', '1e9', 'soon', new Date(Date.now() + 50).toUTCString()]);
    let calls = 0;
    const client = await createAuthClient({
      baseUrl: 'https://api.example',
      refresh: { url: '/refresh' },
      refreshRetry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
      fetch: async (url) => (String(url).endsWith('/refresh') ? (calls++, new Response(body, { status, headers })) : new Response('ok')),
    });
    await client.login({ accessToken: jwt({ exp: 1 }), refreshToken: 'rt' });
    const results = await Promise.all([1, 2, 3].map((i) => documented(client.fetch(`/x/${i}`), `seed ${seed}`)));
    assert.ok(calls >= 1 && calls <= 2, `seed ${seed}: ${calls} refresh calls for one refresh`);
    const codes = new Set(results.map((x) => x.error?.code ?? 'ok'));
    assert.equal(codes.size, 1, `seed ${seed}: the held requests got different outcomes ${[...codes]}`);
    client.dispose();
  }
  await stillWorks();
});

test('random refresh function results and throws: documented outcomes, no trap', async () => {
  for (const seed of SEEDS) {
    const r = rng(seed);
    const v = r.value();
    const throws = r.int(3) === 0;
    const client = await createAuthClient({
      baseUrl: 'https://api.example',
      refresh: async () => { if (throws) throw v; return v; },
      refreshRetry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
      fetch: async () => new Response('ok'),
    });
    await client.login({ accessToken: jwt({ exp: 1 }), refreshToken: 'rt' });
    await documented(client.fetch('/x'), `seed ${seed}`);
    await documented(client.refresh(), `seed ${seed} refresh()`);
    client.dispose();
  }
  await stillWorks();
});

test('random tokens: decodeJwt returns or throws INVALID_TOKEN', async () => {
  for (const seed of SEEDS) {
    const r = rng(seed);
    for (let i = 0; i < 20; i++) {
      const parts = Array.from({ length: r.int(5) }, () => r.pick([r.text(), b64(r.value() ?? null), Buffer.from(r.text()).toString('base64')]));
      const token = r.int(5) ? parts.join('.') : r.value();
      try {
        decodeJwt(token, { header: r.int(2) === 0 });
      } catch (e) {
        assert.ok(isAuthlaneError(e) && e.code === 'INVALID_TOKEN', `seed ${seed}: ${e && e.message}`);
      }
    }
  }
  await stillWorks();
});
