// 1. Size as users pay for it: what a page built by Vite 8 (pinned in tests/bundlers/) fetches.
// Two apps doing the same job (a client with a refresh endpoint; log in with an expired token;
// 8 requests at once, which make 1 refresh call and all succeed): one imports only
// createAuthClient from the packed tarball (npm pack of pkg/, unpacked into the app's
// node_modules as `npm install` would), the other is the hand-built axios + axios-auth-refresh +
// jwt-decode stack. Each dist/ is opened in headless Chromium and does the job against the test
// auth server; the size is the sum over every JS and wasm response body the page received
// (loading and doing the job), each compressed alone: gzip -9 and brotli 11, as a server would.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { launch } from '../tests/support/browser.mjs';
import { serveDir } from '../tests/support/serve-dir.mjs';
import { startAuthServer } from '../tests/support/server.mjs';
import { interleave, stats, table } from './lib.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const vite = join(root, 'tests/bundlers/node_modules/vite/bin/vite.js');
const run = promisify(execFile);
const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

const N = 8;
const job = {
  authlane: `import { createAuthClient } from 'authlane';

// Cold start: from the page's time origin to a ready client (no request made).
window.cold = createAuthClient({ baseUrl: location.origin, refresh: { url: '/refresh' } })
  .then((client) => { client.dispose(); return performance.now(); });

window.job = async ({ base, tokens, n }) => {
  const client = await createAuthClient({ baseUrl: base, refresh: { url: '/refresh' } });
  await client.login(tokens);
  return Promise.all(Array.from({ length: n }, (_, i) =>
    client.fetch('/api/page/' + i).then((r) => r.status, (e) => (e && e.code) || String(e))));
};
window.ready = true;
`,
  // The interceptors of the usual guides: refresh before sending when the token expires within
  // 30 s (one refresh shared by concurrent requests), and once more on a 401 (axios-auth-refresh).
  'axios + axios-auth-refresh + jwt-decode': `import axios from 'axios';
import createAuthRefreshInterceptor from 'axios-auth-refresh';
import { jwtDecode } from 'jwt-decode';

// Cold start: from the page's time origin to an instance with its interceptors (no request made).
{
  const api = axios.create({ baseURL: location.origin });
  api.interceptors.request.use((config) => config);
  createAuthRefreshInterceptor(api, async () => {});
  void jwtDecode;
  window.cold = Promise.resolve(performance.now());
}

window.job = async ({ base, tokens, n }) => {
  const session = { ...tokens };
  let refreshing = null;
  const refresh = () => (refreshing ??= axios.post(base + '/refresh', { refreshToken: session.refreshToken })
    .then((r) => { Object.assign(session, r.data); })
    .finally(() => { refreshing = null; }));
  const api = axios.create({ baseURL: base });
  api.interceptors.request.use(async (config) => {
    if (jwtDecode(session.accessToken).exp * 1000 - Date.now() < 30_000) await refresh();
    config.headers.Authorization = 'Bearer ' + session.accessToken;
    return config;
  });
  createAuthRefreshInterceptor(api, async (failed) => {
    await refresh();
    failed.response.config.headers.Authorization = 'Bearer ' + session.accessToken;
  });
  return Promise.all(Array.from({ length: n }, (_, i) =>
    api.get('/api/page/' + i).then((r) => r.status, (e) => (e.response && e.response.status) || String(e))));
};
window.ready = true;
`,
};

/** Builds one app with Vite 8 at its defaults; resolves with its dist/ folder. */
async function buildApp(dir, main, modules) {
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(join(dir, 'main.js'), main);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>app</title><script type="module" src="./main.js"></script>\n');
  writeFileSync(join(dir, 'package.json'), '{ "name": "app", "private": true, "type": "module" }\n');
  modules(join(dir, 'node_modules'));
  try {
    await run(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: dir, env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1' }, maxBuffer: 1 << 24 });
  } catch (e) {
    throw new Error(`Vite build of ${dir} failed:\n${e.stdout}\n${e.stderr}`);
  }
  return join(dir, 'dist');
}

/** Opens the page, does the job, and sums what it fetched. */
async function measure(browser, auth, dist) {
  const site = await serveDir(dist);
  const page = await browser.newPage();
  try {
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const fetched = [];
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (r.url().startsWith(site.url) && /\.(m?js|wasm)$/.test(path)) fetched.push({ path, status: r.status(), body: r.body() });
    });
    await page.goto(site.url + '/');
    await page.waitForFunction(() => window.ready === true, null, { timeout: 20000 });
    auth.reset();
    const tokens = await auth.issueTokens({ ttl: -60 });
    const statuses = await page.evaluate((a) => window.job(a), { base: auth.url, tokens, n: N });
    if (errors.length || statuses.some((s) => s !== 200) || auth.refreshCalls !== 1) {
      throw new Error(`the app did not do its job: statuses ${statuses}, ${auth.refreshCalls} refresh calls, errors ${errors.join('; ')}`);
    }
    const files = await Promise.all(fetched.map(async (f) => ({ ...f, body: await f.body })));
    const bad = files.filter((f) => f.status !== 200);
    if (bad.length) throw new Error(`the page asked for missing files: ${bad.map((f) => f.path)}`);
    const sum = (list, fn) => list.reduce((n, f) => n + fn(f.body), 0);
    const js = files.filter((f) => !f.path.endsWith('.wasm'));
    const wasm = files.filter((f) => f.path.endsWith('.wasm'));
    return {
      files: `${js.length} JS${wasm.length ? ` + ${wasm.length} wasm` : ''}`,
      raw: sum(files, (b) => b.length), gzip: sum(files, gz), brotli: sum(files, br),
      jsGzip: sum(js, gz), wasmGzip: sum(wasm, gz),
    };
  } finally {
    await page.close();
    await site.close();
  }
}

/**
 * Cold start as users meet it: each built page opened in a new browser context (empty cache),
 * from the page's time origin (navigation start: the HTML, the bundle, the wasm, compiling and
 * instantiating it) to a ready client. ms per contender, interleaved.
 */
async function coldStarts(browser, dists, rounds) {
  const sites = {};
  for (const [name, dist] of Object.entries(dists)) sites[name] = await serveDir(dist);
  try {
    return await interleave(Object.keys(dists), rounds, async (name) => {
      const page = await browser.newPage();
      try {
        await page.goto(sites[name].url + '/');
        await page.waitForFunction(() => window.cold, null, { timeout: 20000 });
        return await page.evaluate(() => window.cold);
      } finally {
        await page.context().close();
      }
    });
  } finally {
    for (const site of Object.values(sites)) await site.close();
  }
}

export async function pageSizes({ coldRounds = 10 } = {}) {
  if (!existsSync(vite)) throw new Error('tests/bundlers/node_modules is missing: run scripts/setup.sh');
  const work = mkdtempSync(join(tmpdir(), 'authlane-page-size-'));
  const [browser, auth] = await Promise.all([launch(), startAuthServer()]);
  try {
    // The package as npm installs it: packed from pkg/, unpacked into the app's node_modules.
    await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: join(root, 'pkg') });
    const tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')));
    const dists = {
      authlane: await buildApp(join(work, 'authlane'), job.authlane, async (nm) => {
        mkdirSync(join(nm, 'authlane'));
        await run('tar', ['-xzf', tarball, '-C', join(nm, 'authlane'), '--strip-components=1']);
      }),
    };
    // The alternatives as the workspace pins them (package.json), linked in as an install would put them.
    dists['axios + axios-auth-refresh + jwt-decode'] = await buildApp(join(work, 'axios'), job['axios + axios-auth-refresh + jwt-decode'], (nm) => {
      for (const name of ['axios', 'axios-auth-refresh', 'jwt-decode']) symlinkSync(join(root, 'node_modules', name), join(nm, name));
    });
    const rows = {};
    for (const [name, dist] of Object.entries(dists)) rows[name] = await measure(browser, auth, dist);
    const axios = rows['axios + axios-auth-refresh + jwt-decode'];
    const kb = (n) => (n / 1024).toFixed(1);
    const lines = [
      '| Vite 8 page, what Chromium fetched (JS and wasm) | files | raw KB | gzip -9 KB | brotli KB | gzip vs axios stack |',
      '| --- | --- | ---: | ---: | ---: | ---: |',
    ];
    const label = { authlane: '`authlane`, the app imports only `createAuthClient`', 'axios + axios-auth-refresh + jwt-decode': 'axios + axios-auth-refresh + jwt-decode, the same job' };
    for (const [name, r] of Object.entries(rows)) {
      const split = r.wasmGzip ? ` (JS ${kb(r.jsGzip)} + wasm ${kb(r.wasmGzip)})` : '';
      lines.push(`| ${label[name]} | ${r.files} | ${kb(r.raw)} | ${kb(r.gzip)}${split} | ${kb(r.brotli)} | ${(r.gzip / axios.gzip).toFixed(2)} |`);
    }
    const cold = await coldStarts(browser, dists, coldRounds);
    return {
      table: lines.join('\n'), authlane: rows.authlane, axios, ratio: rows.authlane.gzip / axios.gzip,
      cold, coldTable: table(cold, { unit: 'ms', baseline: 'axios + axios-auth-refresh + jwt-decode' }),
      coldRatio: stats(cold.authlane).median / stats(cold['axios + axios-auth-refresh + jwt-decode']).median,
    };
  } finally {
    await browser.close();
    await auth.close();
    rmSync(work, { recursive: true, force: true });
  }
}

// `node benches/page-size.mjs`: this measurement alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now();
  const r = await pageSizes();
  console.log(r.table);
  console.log('\nCold start of the same pages, a new browser context each time (ms):\n');
  console.log(r.coldTable);
  console.log(`\nratio ${r.ratio.toFixed(2)}; took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
