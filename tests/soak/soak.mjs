// Soak under faults: many requests at a fixed concurrency through one client, against the real
// test server on 127.0.0.1, with short-lived access tokens and a share of refresh calls failing
// transiently (503, 502, a reset connection) or hanging past refreshTimeoutMs. Every request has
// a deadline; what must hold is judged in checks.mjs.
//
//   node tests/soak/soak.mjs [--requests 10000] [--concurrency 200] [--ttl 2] [--fail 0.1]
//                            [--hang 0.02] [--api-delay-ms 4000] [--seed 1] [--json]
// Exits 1 when a check fails. `npm run soak` builds the package first and runs the full size.
import { createAuthClient, isAuthlaneError } from 'authlane';
import { wasmMemoryBytes } from '../node_modules/authlane/inline/wasm.js'; // the same module instance as 'authlane'
import { startAuthServer } from '../support/server.mjs';
import { tokenScan } from '../support/token-scan.mjs';
import { judge } from './checks.mjs';

export const FULL = { requests: 10_000, concurrency: 200, ttl: 2, fail: 0.1, hang: 0.02, apiDelayMs: 4000, seed: 1 };

/** mulberry32: a small seeded PRNG in [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs one soak; resolves with { figures, violations }. */
export async function soak(options = {}) {
  const p = { ...FULL, ...options };
  const retry = { attempts: 3, baseDelayMs: 50, maxDelayMs: 500 };
  p.refreshTimeoutMs ??= 1000;
  p.memorySlackBytes ??= 2 * 65536;
  // Longest a request can take: two refresh flights before sending (one in flight, then the next
  // token's), one after a rejection, each of `attempts` timeouts and backoffs, two sends, slack.
  const flightMs = retry.attempts * p.refreshTimeoutMs + (retry.attempts - 1) * retry.maxDelayMs;
  const deadlineMs = 3 * flightMs + 2 * p.apiDelayMs + 5000;

  const server = await startAuthServer({ accessTtl: p.ttl });
  const faults = {};
  const pick = rng(p.seed);
  const transient = [503, 502, 'reset'];
  server.setRefreshFaults((n) => {
    const x = pick();
    const mode = x < p.hang ? 'timeout' : x < p.hang + p.fail ? transient[Math.floor(pick() * transient.length)] : null;
    if (mode !== null) faults[n] = mode === 'timeout' ? 'hang' : mode;
    return mode;
  });

  const actions = [];
  const client = await createAuthClient({
    baseUrl: server.url,
    refresh: { url: '/refresh' },
    refreshTimeoutMs: p.refreshTimeoutMs,
    refreshRetry: retry,
    timeoutMs: 10_000,
    dispatch: (a) => {
      actions.push(a);
      tokenScan.saw('lifecycle action', a);
    },
  });
  await client.login(await server.issueTokens());

  const delays = rng(p.seed + 1);
  const results = [];
  const memory = [{ done: 0, bytes: wasmMemoryBytes() }];
  const sampleEvery = Math.max(1, Math.floor(p.requests / 200));
  let next = 0;
  const startedAt = Date.now();

  async function one(id) {
    const t0 = Date.now();
    const delay = Math.floor(delays() * p.apiDelayMs);
    let timer;
    const late = new Promise((resolve) => { timer = setTimeout(() => resolve('HANG'), deadlineMs); });
    const settled = client.fetch(`/api/soak?id=${id}&delay=${delay}`).then(
      async (r) => { await r.arrayBuffer(); return r.status; },
      (e) => {
        tokenScan.saw('rejection', e);
        return isAuthlaneError(e) ? e.code : `${e && e.name}: ${e && e.message}`;
      },
    );
    const outcome = await Promise.race([settled, late]);
    clearTimeout(timer);
    results.push({ id, outcome, ms: Date.now() - t0 });
    if (results.length % sampleEvery === 0) memory.push({ done: results.length, bytes: wasmMemoryBytes() });
  }

  await Promise.all(Array.from({ length: p.concurrency }, async () => {
    while (next < p.requests) await one(next++);
  }));
  const endedAt = Date.now();
  memory.push({ done: results.length, bytes: wasmMemoryBytes() });
  client.dispose();
  await server.close();
  return judge({ params: p, server, results, actions, memory, faults, startedAt, endedAt });
}

function parseArgs(argv) {
  const names = { requests: 'requests', concurrency: 'concurrency', ttl: 'ttl', fail: 'fail', hang: 'hang', 'api-delay-ms': 'apiDelayMs', seed: 'seed', 'refresh-timeout-ms': 'refreshTimeoutMs' };
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (name === 'json') { out.json = true; continue; }
    if (!(name in names) || !Number.isFinite(Number(argv[i + 1]))) throw new Error(`soak: unknown or bad option ${argv[i]} ${argv[i + 1] ?? ''}`);
    if (name === 'ttl' && !Number.isInteger(Number(argv[i + 1]))) throw new Error('soak: --ttl is whole seconds (JWT iat and exp are)');
    out[names[name]] = Number(argv[++i]);
  }
  return out;
}

if (import.meta.url === new URL(process.argv[1], 'file:').href) {
  const { json, ...options } = parseArgs(process.argv.slice(2));
  const params = { ...FULL, ...options };
  if (!json) console.log(`soak: ${params.requests} requests, concurrency ${params.concurrency}, access tokens living ${params.ttl} s, refresh calls ${params.fail * 100} % failing and ${params.hang * 100} % hanging, API delay 0-${params.apiDelayMs} ms, seed ${params.seed}`);
  const { figures, violations } = await soak(options);
  console.log(JSON.stringify(figures, null, json ? 0 : 2));
  for (const v of violations) console.log(`VIOLATION: ${v}`);
  console.log(violations.length === 0 ? 'soak: held' : `soak: ${violations.length} violation(s)`);
  process.exitCode = violations.length === 0 ? 0 : 1;
}
