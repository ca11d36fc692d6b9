// npm run bench: every benchmark, contenders interleaved, results written to benches/RESULTS.md.
// `--smoke` runs each with tiny counts and writes to a temporary file (npm test uses it to check
// the benchmarks still work; its numbers mean nothing).
import { cpus, tmpdir } from 'node:os';
import { existsSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { browserBenches } from './browser.mjs';
import { coldHermes, coldNode } from './cold.mjs';
import { coldPhases } from './cold-phases.mjs';
import { decodeSpeed, dpopCost, inMemory, memory, overhead, startBenchServer, storm } from './node.mjs';
import { sizes } from './size.mjs';
import { pageSizes } from './page-size.mjs';
import { stats, table } from './lib.mjs';

const smoke = process.argv.includes('--smoke');

/** The crossings tool's last line, or why there is none (it lives beside the project). */
function crossings() {
  const tool = new URL('../../shared/tools/crossings.mjs', import.meta.url).pathname;
  const pkg = new URL('../tests/node_modules/authlane', import.meta.url).pathname;
  if (!existsSync(tool) || !existsSync(pkg)) return '(the crossings tool or the installed package is not here)';
  const out = spawnSync(process.execPath, [tool, pkg], { encoding: 'utf8', timeout: 60000 });
  const line = (out.stdout || '').trim().split('\n').filter((l) => l.startsWith('crossings:')).at(-1);
  return line ? `\`${line}\` (goals: refresh() at most 40, rejected + refresh + resend at most 50)` : `(the tool failed: ${(out.stderr || '').trim().split('\n').at(-1)})`;
}
const p = smoke
  ? { requests: 40, rounds: 2, stormSize: 50, ops: 200, memTotal: 2000, refreshEvery: 500, coldRounds: 1 }
  : { requests: 2000, rounds: 10, stormSize: 1000, ops: 20000, memTotal: 100000, refreshEvery: 10000, coldRounds: 10 };
const out = [];
const say = (s = '') => { out.push(s); if (!smoke) console.log(s); };
const ratio = (samples, a, b) => stats(samples[a]).median / stats(samples[b]).median;
const goal = (met, text) => `**Goal: ${text}: ${met ? 'met' : 'not met'}.**`;
const started = Date.now();

say('# authlane benchmarks');
say();
say(`Command: \`npm run bench\` (\`node benches/run.mjs\`). Date: ${new Date().toISOString().slice(0, 10)}. CPU: ${cpus()[0].model} (${cpus().length} cores). Node ${process.version}.`);
say('Contenders run interleaved (A B C, B C A, ...) in every round; median, min and max are over rounds.');

say('\n## 1. Size\n');
say('What a user\'s page pays: two apps built by Vite 8 at its defaults (pinned in tests/bundlers/), doing the same job (a client with a refresh endpoint, 8 requests through an expired token: 1 refresh call, all 200), opened in headless Chromium; the sum over every JS and wasm response body the page received, each compressed alone. authlane is the packed tarball, unpacked into the app\'s node_modules. (`node benches/page-size.mjs` runs this table alone.)\n');
const page = await pageSizes({ coldRounds: p.coldRounds });
say(page.table);
say();
say(goal(page.ratio < 1, `a page using authlane fetches less than one using axios + axios-auth-refresh + jwt-decode (${(page.authlane.gzip / 1024).toFixed(1)} KB vs ${(page.axios.gzip / 1024).toFixed(1)} KB gzip, ${page.ratio.toFixed(2)}×)`));
say('\nWhat each entry point loads, minified by esbuild as one file (plus its wasm), for comparing entries:\n');
const size = await sizes();
say(size.table);
say();
say(goal(size.rnGzip <= 60 * 1024, `the React Native entry, bundled and minified, at most 60 KB gzip (${(size.rnGzip / 1024).toFixed(1)} KB)`));

let signalNote = '';
let stormSignalNote = '';
const server = await startBenchServer();
try {
  say('\n## 2. Per-request overhead, Node (loopback, valid token)\n');
  const o = await overhead(server, p);
  for (const c of [1, 50]) {
    say(`${p.requests} requests, ${c === 1 ? 'sequential' : 'concurrency 50'} (µs per request):\n`);
    say(table(o[c], { unit: 'µs/request', baseline: 'fetch' }));
    say();
  }
  const worst = Math.max(ratio(o[1], 'authlane', 'fetch + signal and 60 s timer'), ratio(o[50], 'authlane', 'fetch + signal and 60 s timer'));
  const worstPlain = Math.max(ratio(o[1], 'authlane', 'fetch'), ratio(o[50], 'authlane', 'fetch'));
  signalNote = `${ratio(o[1], 'fetch + signal and 60 s timer', 'fetch').toFixed(2)} sequential and ${ratio(o[50], 'fetch + signal and 60 s timer', 'fetch').toFixed(2)} at concurrency 50 in this run, against authlane's ${ratio(o[1], 'authlane', 'fetch').toFixed(2)} and ${ratio(o[50], 'authlane', 'fetch').toFixed(2)}`;
  const beatsAll = [1, 50].every((c) => ['axios + axios-auth-refresh', 'ky'].every((alt) => ratio(o[c], 'authlane', alt) < 1));
  say(goal(worst <= 1.05 && beatsAll, `client.fetch at most 1.05 times fetch with a signal and a 60 s timer (worst: ${worst.toFixed(3)}; against plain fetch: ${worstPlain.toFixed(3)}) and below both alternatives (${beatsAll ? 'yes' : 'no'})`));
  say(`\nWhere that time goes: the library's own cost, ${p.requests * 10} sequential requests through an in-memory fetch that answers at once (µs per request; the difference is authlane's CPU per request):\n`);
  say(table(await inMemory({ requests: p.requests * 10, rounds: p.rounds }), { unit: 'µs/request', baseline: 'in-memory fetch, header and signal set by hand' }));

  say('\n## 3. Refresh storm, Node\n');
  const s = await storm(server, { size: p.stormSize, rounds: Math.max(2, Math.round(p.rounds / 2)) });
  say(`${p.stormSize} concurrent requests with an expired token (ms; each authlane round made exactly 1 refresh call):\n`);
  say(table(s, { unit: 'ms', baseline: 'plain fetch + 1 refresh round trip' }));
  const stormRatio = ratio(s, 'authlane (1 refresh, all held)', 'plain fetch + 1 refresh round trip');
  stormSignalNote = `${ratio(s, 'fetch + signal and 60 s timer, + 1 refresh round trip', 'plain fetch + 1 refresh round trip').toFixed(2)} in this run`;
  say();
  const stormSignal = ratio(s, 'authlane (1 refresh, all held)', 'fetch + signal and 60 s timer, + 1 refresh round trip');
  say(goal(stormRatio <= 1.1, `at most 1.10 of plain fetch + 1 refresh round trip (${stormRatio.toFixed(3)}; against fetch with a signal and a 60 s timer + 1 refresh round trip: ${stormSignal.toFixed(3)})`));

  say('\n## 4. decodeJwt, Node (operations per second, higher is better)\n');
  const d = await decodeSpeed({ ops: p.ops, rounds: p.rounds });
  for (const bytes of [200, 4096]) {
    say(`A ${bytes}-byte token:\n`);
    say(table(d[bytes], { unit: 'ops/s', baseline: 'jwt-decode', lowerIsBetter: false }));
    say();
  }
  const decodeRatios = [200, 4096].map((b) => ratio(d[b], 'authlane', 'jwt-decode'));
  say(goal(decodeRatios.every((r) => r >= 1), `at least as fast as jwt-decode (speed ratios ${decodeRatios.map((r) => r.toFixed(2)).join(', ')})`));

  say('\n## 4b. DPoP, Node (µs per request, in-memory fetch)\n');
  say(`${p.requests} sequential requests with a DPoP-bound token: the proof (a fresh jti, iat, htm, htu, ath) signed with ES256 for each one:\n`);
  const dp = await dpopCost({ requests: p.requests, rounds: p.rounds });
  say(table(dp, { unit: 'µs/request', baseline: 'jose + fetch, a DPoP proof per request by hand' }));

  say('\n## 6. Memory, Node\n');
  const m = await memory(server, { total: p.memTotal, refreshEvery: p.refreshEvery });
  say(`The wasm module's linear memory after 1,000 and after ${p.memTotal.toLocaleString('en')} requests (concurrency 50, ${m.refreshes} refreshes in between, ${m.resets} socket resets repeated):\n`);
  say('| after | bytes |\n| --- | ---: |');
  for (const [n, bytes] of Object.entries(m.readings)) say(`| ${Number(n).toLocaleString('en')} requests | ${bytes.toLocaleString('en')} |`);
  say();
  say(goal(m.readings[p.memTotal] === m.readings[1000], 'no growth with the number of requests'));
} finally {
  await server.close();
}

say('\n## 7. JS <-> wasm calls\n');
say('Counted by `node ../shared/tools/crossings.mjs tests/node_modules/authlane` on the installed package (every import and export of each instance wrapped; before core v2, at 5ecf4c8: a request 0, rejected + refresh + resend 187, refresh() 175):\n');
say(crossings());
say();

say('\n## 5. Cold start (import to a ready client, ms)\n');
say('Node, a fresh process each time:\n');
say(table(await coldNode({ rounds: p.coldRounds }), { unit: 'ms', baseline: 'axios + axios-auth-refresh + jwt-decode' }));
say('\nHermes 0.12 VM, the React Native build (its wasm2js path: Hermes has no WebAssembly), precompiled to bytecode as apps ship it:\n');
say(table(await coldHermes({ rounds: p.coldRounds }), { unit: 'ms', baseline: 'authlane/react-native in Hermes (bytecode)' }));

say('\n## Headless Chromium\n');
const b = await browserBenches({ requests: p.requests, rounds: p.rounds, ops: p.ops });
for (const c of [1, 50]) {
  say(`Per-request overhead, ${p.requests} requests, ${c === 1 ? 'sequential' : 'concurrency 50'} (µs per request):\n`);
  say(table(b.overhead[c], { unit: 'µs/request', baseline: 'fetch' }));
  say();
}
for (const bytes of [200, 4096]) {
  say(`decodeJwt, a ${bytes}-byte token (ops/s):\n`);
  say(table(b.decode[bytes], { unit: 'ops/s', baseline: 'jwt-decode', lowerIsBetter: false }));
  say();
}
say('Cold start as apps load it: the Vite-built pages of section 1, each opened in a new browser context (empty cache), from navigation start (the HTML, the bundle, the wasm, compiling and instantiating it) to a ready client (ms):\n');
say(page.coldTable);
say();
say(goal(page.coldRatio <= 1, `Chromium cold start no slower than the axios stack (${page.coldRatio.toFixed(2)}×, Vite-built pages)`));
say('\nWhere the authlane page\'s cold start goes (`node benches/cold-phases.mjs`: performance marks put into a copy of the packed package, around the wasm\'s instantiation and the first client creation in the core, `engine.create`):\n');
say(await coldPhases({ loads: p.coldRounds * 3 }));
say('\nCold start unbundled, each module a request of its own through an import map (how no app ships it; the module count dominates), a new page each time (ms):\n');
say(table(b.coldStart, { unit: 'ms', baseline: 'axios + jwt-decode' }));
say('\n## Where a goal is not met, and what would close it\n');
say(`- **Size.** A Vite page using authlane fetches ${(page.authlane.gzip / 1024).toFixed(1)} KB gzip (JS ${(page.authlane.jsGzip / 1024).toFixed(1)} KB, wasm ${(page.authlane.wasmGzip / 1024).toFixed(1)} KB), against ${(page.axios.gzip / 1024).toFixed(1)} KB for the axios stack doing the same job. ` +
  'Core v2 (2026-12-07) took the module from futures to a sans-IO state machine with a raw boundary (no wasm-bindgen glue: the JS side is js/core.js, 76 lines), and builds it with a pinned nightly, `-Zbuild-std` and immediate-abort panics (-3 KB gzip); DPoP lives in a second module loaded only by clients with `dpop`. The module gained offline (connectivity, kept revocations: +2 KB gzip) and the cross-tab rules of issue 31. ' +
  'What is left in it (twiggy on the plain module, names kept, 2026-12-07, of about 101 KB of code and data): `client_handle`, the one event entry with every handler inlined, 17.7 KB; `client_new`, the option rules inlined, 15.2 KB; `storage_done` (start, login, logout, follow, expiry, kept revocations) 8.1 KB; message texts and other data 6.8 KB; URL resolution and origins 3.7 KB; the JSON reader 2.8 KB; JWT decoding 2.3 KB; the allocator (talc) 1 KB. It is the rules themselves: the page\'s 22.7 KB goal needs a module of about 14 KB gzip, under a third of today\'s, which no reshaping of the same rules gives (the sans-IO rewrite weighed as much as the async code it replaced). ' +
  `The React Native entry (goal: 60 KB gzip) now carries the core as wasm2js only (no wasm bytes: ${(size.rnGzip / 1024).toFixed(1)} KB gzip minified); wasm2js JavaScript gzips to about 1.9 times the wasm it comes from, so 60 KB needs a module of about 32 KB gzip: the same less code.`);
say(`- **Per-request overhead**: a request with a fresh token to an allowed origin does not cross into the wasm: the core hands the JS shell a lease (the header, the token's generation and failure count, the device time it is due, how often to hand back a \`Date\`), and the shell's conservative test of its URL (tests/js/lease-fuzz.test.mjs: every "yes" is one the core's own rule gives) lets it send without asking; any other request is one event into the core and one batch of effects out. The row \`fetch + signal and 60 s timer\` is plain fetch with only what a timeout that really cancels the request needs (ky does the same): ${signalNote}. In Node, fetch (undici) tracks each signal with a WeakRef and a FinalizationRegistry. What is left is the transport's own work per attempt: Headers, a Request copy for Request inputs, the timer and the AbortController of the per-attempt timeout (\`timeoutMs: 0\` skips the timer).`);
say(`- **Refresh storm**: every request pays the per-request cost above (the signal and timer alone: ${stormSignalNote}). The core holds the requests of a refresh and releases them in one batch of effects when it ends; the first ones after it go under the new lease.`);
say('- **Chromium cold start** (Vite-built pages): the axios stack is ready when its one file has run; authlane asks for the wasm only once the bundle runs (the phases table: several ms after the bundle arrived, parsing and running it), a second round trip, which Chromium compiles while it streams in and then instantiates; the first client creation then takes a few ms where a second createAuthClient on the same page takes under 1 ms: the engine compiling the functions it runs (the option rules, the start) on first call. Closing it: a smaller module (see Size: less to download and compile); an app can preload the wasm (`<link rel="preload" as="fetch" crossorigin>` for the asset Vite emits), which overlaps its round trip with the bundle\'s. The unbundled import-map row is dominated by its module count (one request per module), which a bundler removes.');
say('- **decodeJwt**: see the ratios above; authlane decodes in Rust and parses with the engine\'s own JSON.');
say(`\nThe whole run took ${((Date.now() - started) / 1000).toFixed(0)} s.`);

const file = smoke ? join(tmpdir(), 'authlane-bench-smoke.md') : new URL('./RESULTS.md', import.meta.url).pathname;
writeFileSync(file, out.join('\n') + '\n');
console.log(smoke ? `bench smoke run: every benchmark ran (${file})` : `\nwritten to ${file}`);
