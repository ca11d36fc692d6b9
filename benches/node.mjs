// 2, 3, 4 and 6 in Node: per-request overhead, the refresh storm, decodeJwt speed, wasm memory.
import { jwtDecode } from 'jwt-decode';
import { createAuthClient, decodeJwt } from '../pkg/inline/index.js';
import { wasmMemoryBytes } from '../pkg/inline/wasm.js';
import { contenders } from './contenders.mjs';
import { fetchWithTimeoutSignal, interleave, now, stats, table } from './lib.mjs';
import { jwt, startBenchServer } from './server.mjs';

async function pool(total, concurrency, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next += 1;
      await fn(next);
    }
  }));
}

export async function overhead(server, { requests, rounds }) {
  const { client, request } = await contenders(server, server.state.issue());
  const out = {};
  for (const concurrency of [1, 50]) {
    const perRound = Math.max(1, Math.round(requests / rounds));
    for (const name of Object.keys(request)) await pool(50, concurrency, () => request[name]('/api/warm'));
    const samples = await interleave(Object.keys(request), rounds, async (name) => {
      const t0 = now();
      await pool(perRound, concurrency, () => request[name]('/api/item'));
      return ((now() - t0) / perRound) * 1000; // µs per request
    });
    out[concurrency] = samples;
  }
  client.dispose();
  return out;
}

/**
 * The library's own cost per request, without a network: authlane over an in-memory fetch that
 * answers at once, against calling that fetch with a header and a signal as a wrapper would.
 */
export async function inMemory({ requests, rounds }) {
  const response = new Response('ok');
  const answer = async () => response;
  const access = jwt(3600);
  const client = await createAuthClient({ baseUrl: 'https://api.example', refresh: async () => null, fetch: answer });
  await client.login({ accessToken: access, refreshToken: 'rt' });
  const fns = {
    'in-memory fetch, header and signal set by hand': () => answer('https://api.example/x', { headers: new Headers({ authorization: `Bearer ${access}` }), signal: new AbortController().signal }),
    'authlane over the in-memory fetch': () => client.fetch('/x'),
  };
  const samples = await interleave(Object.keys(fns), rounds, async (name) => {
    const t0 = now();
    for (let i = 0; i < requests; i++) await fns[name]();
    return ((now() - t0) / requests) * 1000;
  });
  client.dispose();
  return samples;
}

/**
 * What a DPoP proof costs per request, without a network: authlane with `dpop` (a WebCrypto
 * ES256 signature per request, its proof built in the core), the React Native build with the Rust
 * signer (`authlane/dpop`, wasm2js, as Hermes runs it; WebCrypto hidden from it), authlane
 * without DPoP, and a hand-made DPoP fetch with jose (SignJWT with the same key type, `ath` by
 * crypto.subtle.digest), each over an in-memory fetch that answers at once.
 */
export async function dpopCost({ requests, rounds }) {
  const { SignJWT, exportJWK, generateKeyPair } = await import('jose');
  // The React Native build signs with the Rust signer where there is no crypto.subtle: hidden
  // while its client makes its key (the key then signs with the signer for good).
  await import('../pkg/rn/dpop.js');
  const rn = await import('../pkg/rn/index.js');
  const subtle = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(globalThis.crypto), 'subtle');
  Object.defineProperty(globalThis.crypto, 'subtle', { configurable: true, get: () => undefined });
  const response = new Response('ok');
  const answer = async () => response;
  const access = jwt(3600);
  const tokens = { access_token: access, refresh_token: 'rt', expires_in: 3600, token_type: 'DPoP' };
  const plain = await createAuthClient({ baseUrl: 'https://api.example', refresh: async () => null, fetch: answer });
  await plain.login({ accessToken: access, refreshToken: 'rt' });
  const rustSigned = await rn.createAuthClient({ baseUrl: 'https://api.example', refresh: async () => null, fetch: answer, dpop: true });
  await rustSigned.login(tokens);
  delete globalThis.crypto.subtle; // WebCrypto back (the prototype's getter)
  if (!globalThis.crypto.subtle && subtle) Object.defineProperty(globalThis.crypto, 'subtle', subtle);
  const bound = await createAuthClient({ baseUrl: 'https://api.example', refresh: async () => null, fetch: answer, dpop: true });
  await bound.login(tokens);
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const b64url = (bytes) => Buffer.from(bytes).toString('base64url');
  const ath = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(access)));
  const byHand = async (url) => {
    const proof = await new SignJWT({ htm: 'GET', htu: url, ath, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk })
      .sign(privateKey);
    return answer(url, { headers: new Headers({ authorization: `DPoP ${access}`, dpop: proof }), signal: new AbortController().signal });
  };
  const fns = {
    'authlane, Bearer': () => plain.fetch('/x'),
    'authlane with dpop (a proof per request, WebCrypto)': () => bound.fetch('/x'),
    'authlane React Native build with dpop (the Rust signer, wasm2js)': () => rustSigned.fetch('/x'),
    'jose + fetch, a DPoP proof per request by hand': () => byHand('https://api.example/x'),
  };
  const samples = await interleave(Object.keys(fns), rounds, async (name) => {
    const t0 = now();
    for (let i = 0; i < requests; i++) await fns[name]();
    return ((now() - t0) / requests) * 1000;
  });
  plain.dispose();
  bound.dispose();
  rustSigned.dispose();
  return samples;
}

export async function storm(server, { size, rounds }) {
  const names = ['authlane (1 refresh, all held)', 'plain fetch + 1 refresh round trip', 'fetch + signal and 60 s timer, + 1 refresh round trip'];
  const samples = await interleave(names, rounds, async (name) => {
    if (name.startsWith('authlane')) {
      const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' } });
      await client.login({ accessToken: jwt(-60), refreshToken: 'rt' });
      const before = server.state.refreshCalls;
      const t0 = now();
      await Promise.all(Array.from({ length: size }, () => client.fetch('/api/storm').then((r) => r.text())));
      const ms = now() - t0;
      if (server.state.refreshCalls - before !== 1) throw new Error(`storm made ${server.state.refreshCalls - before} refresh calls`);
      client.dispose();
      return ms;
    }
    const t0 = now();
    const fresh = await (await fetch(`${server.url}/refresh`, { method: 'POST', body: '{}' })).json();
    const headers = { authorization: `Bearer ${fresh.accessToken}` };
    const url = `${server.url}/api/storm`;
    const send = name === names[1] ? () => fetch(url, { headers }).then((r) => r.text()) : () => fetchWithTimeoutSignal(url, { headers });
    await Promise.all(Array.from({ length: size }, send));
    return now() - t0;
  });
  return samples;
}

export function tokenOfSize(bytes) {
  let pad = '';
  let token = jwt(3600, { pad });
  while (token.length < bytes) {
    pad += 'x';
    token = jwt(3600, { pad, name: 'Zoë' });
  }
  return token;
}

export async function decodeSpeed({ ops, rounds }) {
  const out = {};
  for (const bytes of [200, 4096]) {
    const token = tokenOfSize(bytes);
    const fns = { authlane: () => decodeJwt(token), 'jwt-decode': () => jwtDecode(token) };
    out[bytes] = await interleave(Object.keys(fns), rounds, async (name) => {
      const fn = fns[name];
      const t0 = now();
      for (let i = 0; i < ops; i++) fn();
      return ops / ((now() - t0) / 1000); // ops per second
    });
  }
  return out;
}

export async function memory(server, { total, refreshEvery }) {
  const client = await createAuthClient({ baseUrl: server.url, refresh: { url: '/refresh' } });
  await client.login(server.state.issue());
  const readings = {};
  let done = 0;
  let resets = 0;
  const refreshesBefore = server.state.refreshCalls;
  await pool(total, 50, async () => {
    done += 1;
    if (done % refreshEvery === 0) server.state.valid.clear(); // the next request is rejected: one refresh
    for (let attempt = 0; ; attempt++) {
      try {
        await (await client.fetch('/api/mem')).text();
        break;
      } catch (error) {
        if (error.code !== 'NETWORK_ERROR' || attempt === 3) throw error;
        resets += 1; // a socket reset under load: the request is repeated, and counted
      }
    }
    if (done === 1000) readings[1000] = wasmMemoryBytes();
  });
  readings[total] = wasmMemoryBytes();
  client.dispose();
  return { readings, refreshes: server.state.refreshCalls - refreshesBefore, resets };
}

export { startBenchServer, stats, table };
