// The packed package inside the frameworks apps are built with, each at its defaults and with
// nothing configured about authlane: Next.js 16 (Turbopack and webpack builds served by
// `next start`, and `next dev`), Expo 58 (`expo export` for the web, served statically, and for
// Android) and Vite 8 and 7 (the dev server with server rendering, and Vite 8's production
// server rendering). Every app runs the same scenario (shared/scenario.js) wherever it can run
// code: a client logs in with an expired access token and sends requests at once (one refresh
// call at the server, every request sent once with the new token), decodeJwt, and verifyJwt (its
// module loaded on its first call). The frameworks are pinned in tests/frameworks/package.json
// (installed by scripts/setup.sh, with Node 22 for the Expo CLI); each app gets the tarball from
// build/ unpacked into its own node_modules, as `npm install authlane` would put it there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { launch } from '../support/browser.mjs';
import { serveDir } from '../support/serve-dir.mjs';
import { startAuthServer } from '../support/server.mjs';
import { tokenScan } from '../support/token-scan.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const shared = here('./');
const modules = join(shared, 'node_modules');
const work = join(shared, '.work');
const node22 = here('../../.cache/node22/bin/node'); // the Expo CLI needs Node >= 22.13
const next = join(modules, 'next/dist/bin/next');
const quiet = { NO_COLOR: '1', NEXT_TELEMETRY_DISABLED: '1', EXPO_NO_TELEMETRY: '1', CI: '1', BROWSER: 'none' };

/** Marks of the build a bundle holds (strings of its loaders). */
// The inline build carries the core's bytes as base64: a wasm module's header, "\0asm" version 1.
const INLINE_BUILD = 'AGFzbQEAAAAB';
const RN_BUILD = 'verifyJwt is not in the React Native build of authlane';

/** A port nobody listens on (for a server that takes a number). */
async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Runs at most n of the functions given at once. */
function limit(n) {
  let active = 0;
  const queue = [];
  const next = () => {
    if (active >= n || queue.length === 0) return;
    active++;
    const [fn, resolve, reject] = queue.shift();
    fn().then(resolve, reject).finally(() => { active--; next(); });
  };
  return (fn) => new Promise((resolve, reject) => { queue.push([fn, resolve, reject]); next(); });
}

const outputs = []; // [name, text] of every child process, for the token scan at the end

/**
 * Starts a command in its own process group; its output goes to the token scan (`after`).
 * `ready`: a pattern of its output that says it serves (resolves then), or null to wait for its
 * exit (resolves when it exits with 0). Resolves with { stop(), seconds } (seconds it took).
 */
function start(name, [bin, ...args], { cwd, env = {}, ready = null, timeoutMs = 240000 }) {
  const child = spawn(bin, args, { cwd, env: { ...process.env, ...quiet, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let text = '';
  const entry = [name, ''];
  outputs.push(entry);
  const seen = (chunk) => { text += chunk; entry[1] = text; };
  child.stdout.on('data', seen);
  child.stderr.on('data', seen);
  let exited = false;
  const stop = () => new Promise((resolve) => {
    if (exited) return resolve();
    child.once('exit', resolve);
    try { process.kill(-child.pid, 'SIGKILL'); } catch { resolve(); }
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { stop(); reject(new Error(`${name}: nothing after ${timeoutMs / 1000} s:\n${text}`)); }, timeoutMs);
    const started = Date.now();
    const done = () => { clearTimeout(timer); resolve({ stop, seconds: (Date.now() - started) / 1000 }); };
    if (ready) child.stdout.on('data', () => { if (ready.test(text)) done(); });
    child.on('exit', (code) => {
      exited = true;
      clearTimeout(timer);
      if (!ready && code === 0) done();
      else reject(new Error(`${name} exited (${code}):\n${text}`));
    });
  });
}

/** An app folder in .work/: the sources of `from`, the shared scenario at `scenarioAt`, and
 * the package in its own node_modules. */
function makeApp(name, from, scenarioAt, manifest = { name: 'app', private: true }) {
  const dir = join(work, name);
  cpSync(join(shared, from), dir, { recursive: true });
  cpSync(join(shared, 'shared/scenario.js'), join(dir, scenarioAt));
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  cpSync(join(work, 'authlane'), join(dir, 'node_modules/authlane'), { recursive: true });
  return dir;
}

/**
 * The Next.js app with its middleware as middleware.js (`edge`: Next.js 16 runs it on the edge
 * runtime and calls the file deprecated) or as proxy.js (`node`: its new name, on Node.js). An
 * app has one or the other; each bundler and each of next build and next dev gets both kinds
 * once (NEXT_BUILDS, NEXT_DEV).
 */
function makeNextApp(name, middleware) {
  const dir = makeApp(name, 'next', 'app/scenario.js');
  if (middleware === 'node') {
    rmSync(join(dir, 'middleware.js'));
    cpSync(join(shared, 'next-proxy.js'), join(dir, 'proxy.js'));
  }
  return dir;
}
const NEXT_BUILDS = [
  { name: 'next-turbopack', bundler: 'Turbopack', flags: [], middleware: 'edge' },
  { name: 'next-webpack', bundler: 'webpack', flags: ['--webpack'], middleware: 'node' },
];
const NEXT_DEV = [
  { bundler: 'Turbopack', flags: [], middleware: 'node' },
  { bundler: 'webpack', flags: ['--webpack'], middleware: 'edge' },
];
const MIDDLEWARE = { edge: 'middleware.js on the edge runtime', node: 'proxy.js on Node.js' };

const secret = 'frameworks-' + randomBytes(8).toString('hex'); // the auth server's HS256 key
let browser, auth;
const builds = new Map(); // app -> Promise<{ dir, seconds }>
const timings = [];

before(async () => {
  const build = here('../../build/');
  const tarball = readdirSync(build).find((f) => /^authlane-.*\.tgz$/.test(f));
  assert.ok(tarball, 'build/authlane-*.tgz is missing: run scripts/install-pkg.sh');
  assert.ok(existsSync(next), 'tests/frameworks/node_modules is missing: run scripts/setup.sh');
  assert.ok(existsSync(node22), '.cache/node22 is missing: run scripts/setup.sh');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'authlane'), { recursive: true });
  await start('tar', ['tar', '-xzf', join(build, tarball), '-C', join(work, 'authlane'), '--strip-components=1'], { cwd: work });

  // Build each app once, two at a time (the machine has two cores); the tests wait for theirs.
  const oneAt = limit(2);
  const queue = (name, fn) => {
    const p = oneAt(fn);
    p.catch(() => {}); // reported by its test
    builds.set(name, p);
  };
  for (const { name, flags, middleware } of NEXT_BUILDS) {
    queue(name, async () => {
      const dir = makeNextApp(name, middleware);
      const { seconds } = await start(`next build ${flags.join(' ')}`, [process.execPath, next, 'build', ...flags], { cwd: dir });
      return { dir, seconds };
    });
  }
  queue('expo', async () => {
    const dir = makeApp('expo', 'expo', 'scenario.js', { name: 'app', private: true, main: 'index.js' });
    const { seconds } = await start('expo export', [node22, join(modules, 'expo/bin/cli'), 'export', '--platform', 'web', '--platform', 'android'], { cwd: dir });
    return { dir, seconds };
  });
  queue('vite8-ssr-build', async () => {
    const dir = makeApp('vite8-ssr-build', 'vite-ssr', 'src/scenario.js', { name: 'app', private: true, type: 'module' });
    const vite = join(modules, 'vite/bin/vite.js');
    const client = await start('vite build', [process.execPath, vite, 'build', '--outDir', 'dist/client'], { cwd: dir });
    const server = await start('vite build --ssr', [process.execPath, vite, 'build', '--ssr', 'src/entry-server.js', '--outDir', 'dist/server'], { cwd: dir });
    return { dir, seconds: client.seconds + server.seconds };
  });
  [browser, auth] = await Promise.all([launch(), startAuthServer({ secret })]);
});

after(async () => {
  await Promise.allSettled([...builds.values()]);
  await browser?.close();
  await auth?.close();
  // What the frameworks printed (builds, servers, their errors) is output a user sees.
  for (const [name, text] of outputs) tokenScan.saw(`${name} output`, text);
  if (timings.length) console.log(timings.join('\n'));
  rmSync(work, { recursive: true, force: true });
});

/** A scenario's input: tokens whose access token expired a minute ago, n requests. */
async function scenario(n) {
  const tokens = await auth.issueTokens({ ttl: -60 });
  const fresh = (await auth.issueTokens({ ttl: 300 })).accessToken;
  auth.reset();
  return { base: auth.url, tokens, n, fresh, secret };
}

/** What the server counted, and what the app reported, for one scenario of n requests. */
function checkOutcome(out, n) {
  assert.deepEqual(out, { statuses: Array(n).fill(200), name: 'Zoë', verified: ['user-1', 'SIGNATURE_INVALID'] });
  assert.equal(auth.refreshCalls, 1, `one refresh call for ${n} requests through an expired token`);
  const sent = auth.apiLog('/api/f/');
  assert.equal(sent.length, n, 'each request sent once');
  assert.ok(sent.every((r) => r.tokenState === 'valid'), 'each with the new token');
}

/** The server-rendered page: the text of each element id → the text expected. */
async function checkHtml(url, expected) {
  const response = await fetch(url);
  assert.equal(response.status, 200);
  const html = await response.text();
  for (const [id, text] of Object.entries(expected)) {
    const m = new RegExp(`<p id="${id}">(.*?)</p>`).exec(html);
    assert.ok(m, `the server-rendered HTML has #${id}`);
    assert.equal(m[1].replaceAll('<!-- -->', ''), text, `#${id} as the server rendered it`);
  }
}

/** A route handler or middleware that runs the scenario on the server (POST, JSON). */
async function checkServer(url) {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(await scenario(5)) });
  const text = await response.text();
  assert.equal(response.status, 200, text);
  checkOutcome(JSON.parse(text), 5);
}

/**
 * Opens the app in Chromium and checks what its user sees: it runs without errors, every script
 * and wasm file it asks for exists, `wasmAtLoad` wasm files arrive at load (1: the core as a
 * file; 0: inlined), the scenario's 8 requests through an expired token make 1 refresh and all
 * succeed, useSession then shows the user (in `session`), and verifyJwt's module arrives on its
 * first call, not before.
 */
async function checkPage(t, url, { session, wasmAtLoad }) {
  const page = await browser.newPage();
  t.after(() => page.close());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const fetched = []; // scripts and wasm files from the app's origin: { path, status, type, bytes: Promise }
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (new URL(r.url()).origin !== new URL(url).origin || !/\.(m?js|wasm)$/.test(path) || r.status() === 304) return;
    fetched.push({ path, status: r.status(), type: r.headers()['content-type'], bytes: r.body().then((b) => b.length, () => 0) });
  });
  // verifyJwt's module: its .wasm file, or the script that inlines its 540 KB (a development
  // server may fetch the small script that loads it before it is needed).
  const verifyModule = async (files) => {
    const found = [];
    for (const f of files) if (/verify/.test(f.path) && (f.type === 'application/wasm' || (await f.bytes) > 400000)) found.push(f.path);
    return found;
  };
  await page.goto(url);
  await page.waitForFunction(() => window.ready === true || undefined, null, { timeout: 90000 });
  assert.deepEqual(errors, []);
  const atLoad = [...fetched];
  assert.deepEqual(atLoad.filter((f) => f.status !== 200), [], 'every file the page asked for exists');
  assert.equal(atLoad.filter((f) => f.type === 'application/wasm').length, wasmAtLoad, `${wasmAtLoad} wasm file(s) at load`);
  assert.deepEqual(await verifyModule(atLoad), [], "verifyJwt's module is not loaded before its first call");

  const out = await page.evaluate((input) => window.app.run(input), await scenario(8));
  checkOutcome(out, 8);
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === 'signed in as Zoë', session, { timeout: 10000 })
    .catch(async () => assert.fail(`useSession shows ${JSON.stringify(await page.textContent(session))}, not the user`));
  assert.equal((await verifyModule(fetched.slice(atLoad.length))).length, 1, "verifyJwt's module arrived on its first call");
  assert.deepEqual(errors, []);
}

/** The checks of a Next.js app served at url. */
async function checkNext(t, url, middleware) {
  await t.test('server-rendered HTML: decodeJwt in a server component and a client component, useSession signed out', () =>
    checkHtml(url + '/', { 'server-component': 'José', 'client-component': 'José', session: 'signed out' }));
  await t.test('route handler (Node.js runtime): 5 requests through an expired token, 1 refresh; decodeJwt, verifyJwt', () =>
    checkServer(url + '/api/node'));
  await t.test('route handler (edge runtime, WebAssembly only from compiled modules): the same', () =>
    checkServer(url + '/api/edge'));
  await t.test(`middleware (${MIDDLEWARE[middleware]}): the same`, () => checkServer(url + '/middleware'));
  await t.test('in Chromium: the core as a .wasm file, 8 requests through an expired token, 1 refresh, useSession shows the user, lazy verifyJwt', (t) =>
    checkPage(t, url + '/', { session: '#session', wasmAtLoad: 1 }));
}

for (const { name, bundler, flags, middleware } of NEXT_BUILDS) {
  test(`Next.js 16, ${['next build', ...flags].join(' ')} (${bundler}) + next start`, async (t) => {
    const { dir, seconds } = await builds.get(name);
    timings.push(`frameworks: next build (${bundler}) took ${seconds.toFixed(1)} s`);
    const port = await freePort();
    const server = await start(`next start (${bundler})`, [process.execPath, next, 'start', '-p', String(port), '-H', '127.0.0.1'], { cwd: dir, ready: /Ready in/ });
    t.after(() => server.stop());
    await checkNext(t, `http://127.0.0.1:${port}`, middleware);
  });
}

for (const { bundler, flags, middleware } of NEXT_DEV) {
  test(`Next.js 16, ${['next dev', ...flags].join(' ')} (${bundler})`, async (t) => {
    await Promise.allSettled([...builds.values()]); // the builds have the two cores first
    const dir = makeNextApp(`next-dev-${bundler}`, middleware);
    const port = await freePort();
    const started = Date.now();
    const server = await start(`next dev (${bundler})`, [process.execPath, next, 'dev', ...flags, '-p', String(port)], { cwd: dir, ready: /Ready in/ });
    t.after(() => server.stop());
    // localhost, as next dev prints it: Next.js 16 serves its development resources (the HMR
    // socket) to other origins, 127.0.0.1 included, only when allowedDevOrigins names them.
    await checkNext(t, `http://localhost:${port}`, middleware);
    timings.push(`frameworks: next dev (${bundler}), start to last check ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

test('Expo 58, expo export --platform web, served statically: the inline build, 8 requests through an expired token, 1 refresh, useSession, lazy verifyJwt', async (t) => {
  const { dir, seconds } = await builds.get('expo');
  timings.push(`frameworks: expo export (web, android) took ${seconds.toFixed(1)} s`);
  const dist = join(dir, 'dist');
  const web = join(dist, '_expo/static/js/web');
  const main = readdirSync(web).filter((f) => /^index-.*\.js$/.test(f));
  assert.equal(main.length, 1);
  assert.ok(readFileSync(join(web, main[0]), 'utf8').includes(INLINE_BUILD), 'the web bundle holds the inline build');
  const site = await serveDir(dist);
  t.after(() => site.close());
  await checkPage(t, site.url + '/', { session: '[data-testid="session"]', wasmAtLoad: 0 });
});

test('Expo 58, expo export --platform android: the bundle holds the react-native build', async () => {
  const { dir } = await builds.get('expo');
  const android = join(dir, 'dist/_expo/static/js/android');
  const files = readdirSync(android).filter((f) => /\.(hbc|js)$/.test(f));
  assert.equal(files.length, 1);
  const bundle = readFileSync(join(android, files[0]), 'latin1'); // Hermes bytecode: its strings as they are
  assert.ok(bundle.includes(RN_BUILD), 'rn/index.js is in the bundle');
  assert.ok(!bundle.includes(INLINE_BUILD) && !bundle.includes('authlane_bg.wasm'), 'no web or server build');
});

/** A Vite server-rendered app: its server.mjs (Vite's guide) on a free port. */
async function checkViteSsr(t, name, dir, env = {}) {
  const port = await freePort();
  const server = await start(name, [process.execPath, 'server.mjs'], { cwd: dir, env: { PORT: String(port), ...env }, ready: /listening on/ });
  t.after(() => server.stop());
  const url = `http://127.0.0.1:${port}`;
  await t.test('server-rendered HTML: decodeJwt, useSession signed out', () => checkHtml(url + '/', { decoded: 'José', session: 'signed out' }));
  await t.test('hydrated in Chromium: the core as a .wasm file, 8 requests through an expired token, 1 refresh, useSession shows the user, lazy verifyJwt', (t) =>
    checkPage(t, url + '/', { session: '#session', wasmAtLoad: 1 }));
}

for (const [version, pkg] of [['8', 'vite'], ['7', 'vite7']]) {
  test(`Vite ${version}, dev server with server rendering (ssrLoadModule)`, async (t) => {
    await Promise.allSettled([...builds.values()]);
    const dir = makeApp(`vite${version}-ssr-dev`, 'vite-ssr', 'src/scenario.js', { name: 'app', private: true, type: 'module' });
    if (pkg !== 'vite') writeFileSync(join(dir, 'server.mjs'), readFileSync(join(dir, 'server.mjs'), 'utf8').replace("import('vite')", `import('${pkg}')`));
    await checkViteSsr(t, `Vite ${version} dev server`, dir);
  });
}

test('Vite 8, production server rendering (vite build, vite build --ssr)', async (t) => {
  const { dir, seconds } = await builds.get('vite8-ssr-build');
  timings.push(`frameworks: vite build + vite build --ssr took ${seconds.toFixed(1)} s`);
  await checkViteSsr(t, 'Vite 8 production server', dir, { NODE_ENV: 'production' });
});
