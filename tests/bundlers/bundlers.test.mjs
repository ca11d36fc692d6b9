// The packed package in real apps, built the way their users build them: Vite 7 and 8, webpack 5
// and Parcel 2 at their defaults; esbuild and Rollup with the one option README names; Metro for
// the React Native entry. Two shapes of the web app (everything imported; only createAuthClient),
// and a third in Vite 8 and esbuild (verifyJwt from 'authlane/verify'), each build opened in
// headless Chromium against the test auth server; also the Vite 7, Vite 8 and
// Parcel dev servers, as `npm run dev` starts them. The bundlers are pinned in
// tests/bundlers/package.json (installed by scripts/setup.sh); the tarball from build/ is unpacked
// into that folder's node_modules, as `npm install` would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { launch } from '../support/browser.mjs';
import { serveDir } from '../support/serve-dir.mjs';
import { startAuthServer } from '../support/server.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const shared = here('./');
const modules = join(shared, 'node_modules');
const work = join(shared, '.work');
const run = promisify(execFile);

const html = (script, module = true) =>
  `<!doctype html><meta charset="utf-8"><title>app</title><script ${module ? 'type="module" ' : ''}src="${script}"></script>\n`;

/**
 * How each bundler builds an app folder holding main.js (the app) and index.html (for those that
 * start from HTML). `page`: an HTML page to add to dist/ for bundlers that emit only scripts.
 * `inline`: the build carries the wasm in its scripts (the inline build). `lazyVerify: false`: the
 * build puts verifyJwt's module in the page's one script.
 */
const bundlers = {
  'Vite 7': { cmd: [join(modules, 'vite7/bin/vite.js'), 'build'] },
  'Vite 8': { cmd: [join(modules, 'vite/bin/vite.js'), 'build'] },
  // webpack without a config: ./src/index.js to dist/main.js (the mode warning is its default).
  'webpack 5': { cmd: [join(modules, 'webpack-cli/bin/cli.js')], src: 'src/index.js', page: html('main.js', false) },
  // Parcel reads the `browser` field (not `exports`, by default): the inline build, as Parcel allows
  // no top-level await in its dev server.
  'Parcel 2': { cmd: [join(modules, 'parcel/lib/bin.js'), 'build', 'index.html', '--no-cache'], inline: true },
  // esbuild's default output (iife) cannot hold top-level await: the inline build has none.
  esbuild: {
    cmd: [join(modules, 'esbuild/bin/esbuild'), 'main.js', '--bundle', '--conditions=authlane-inline', '--outfile=dist/main.js', '--log-level=warning'],
    page: html('main.js', false),
    inline: true,
    lazyVerify: false, // one file, no code splitting at esbuild's defaults (see README)
  },
  Rollup: { cmd: [join(modules, 'rollup/dist/bin/rollup'), '-c', '--silent'], config: 'rollup.config.mjs', page: html('main.js') },
};
// `only`: the bundlers that build this shape (one with wasm files, one inline without top-level await).
const shapes = {
  all: { file: 'all.js' },
  'createAuthClient only': { file: 'client-only.js' },
  'authlane/verify': { file: 'verify.js', only: ['Vite 8', 'esbuild'] },
};
const builtBy = (bundler, shape) => !shapes[shape].only || shapes[shape].only.includes(bundler);

/** A port nobody listens on (for a dev server, which takes a number). */
async function freePort() {
  const probe = createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const filesUnder = (dir) => readdirSync(dir, { recursive: true }).map((f) => join(dir, f)).filter((f) => statSync(f).isFile());

/** Builds one app; resolves with its dist/ folder. */
async function buildApp(bundler, shape) {
  const b = bundlers[bundler];
  const dir = join(work, `${bundler}-${shape}`.replace(/\W+/g, '-'));
  mkdirSync(dir, { recursive: true });
  for (const f of ['requests.js', 'all.js', 'client-only.js', 'verify.js']) cpSync(join(shared, 'app', f), join(dir, f));
  const main = `import './${shapes[shape].file}';\n`;
  if (b.src) {
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, b.src), main.replace('./', '../'));
  } else {
    writeFileSync(join(dir, 'main.js'), main);
  }
  writeFileSync(join(dir, 'index.html'), html('./main.js'));
  // An app is a project of its own (Parcel takes the folder with the nearest lock file as its root).
  writeFileSync(join(dir, 'package.json'), '{ "name": "app", "private": true }\n');
  writeFileSync(join(dir, 'package-lock.json'), '{ "name": "app", "lockfileVersion": 3, "requires": true, "packages": { "": { "name": "app" } } }\n');
  if (b.config) cpSync(join(shared, 'app', b.config), join(dir, b.config));
  const [bin, ...args] = b.cmd;
  const command = bin.endsWith('esbuild') ? [bin, args] : [process.execPath, [bin, ...args]];
  try {
    await run(command[0], command[1], { cwd: dir, env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1' }, maxBuffer: 1 << 24 });
  } catch (e) {
    throw new Error(`${bundler} (${shape}) build failed:\n${e.stdout}\n${e.stderr}`);
  }
  const dist = join(dir, 'dist');
  if (b.page) writeFileSync(join(dist, 'index.html'), b.page);
  return dist;
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

const secret = 'bundlers-' + randomBytes(8).toString('hex'); // the auth server's HS256 key
/** Bundles entry.js of dir with Metro from tests/bundlers (the project root: its metro.config.js
 * and node_modules, as in an app); resolves with the bundle's path. */
async function metroBuild(dir, ...args) {
  const bundle = join(dir, 'bundle.js');
  try {
    await run(process.execPath, [join(modules, 'metro/src/cli.js'), 'build', join(dir, 'entry.js'), '--out', bundle, ...args],
      { cwd: shared, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 1 << 24 });
  } catch (e) {
    throw new Error(`Metro build failed:\n${e.stdout}\n${e.stderr}`);
  }
  return bundle;
}

/** The Metro apps: the app of app/react-native.js (release build), and tests/hermes's scenarios
 * as app code importing 'authlane' (development build). */
function metroApps() {
  const app = join(work, 'metro');
  mkdirSync(app, { recursive: true });
  cpSync(join(shared, 'app', 'react-native.js'), join(app, 'entry.js'));
  const hermes = join(work, 'hermes');
  mkdirSync(hermes, { recursive: true });
  for (const f of ['entry', 'scenarios', 'fakes', 'verify-fixtures']) {
    const source = readFileSync(here(`../hermes/${f}.mjs`), 'utf8')
      .replace(/\.\/(fakes|scenarios|verify-fixtures)\.mjs/g, './$1.js')
      .replace(/'authlane\/react-native'/g, "'authlane'");
    writeFileSync(join(hermes, `${f}.js`), source);
  }
  return { metro: app, hermes };
}

let browser, auth;
const builds = new Map(); // "bundler|shape" -> Promise<dist>
const sizes = [];

before(async () => {
  const build = here('../../build/');
  const tarball = readdirSync(build).find((f) => /^authlane-.*\.tgz$/.test(f));
  assert.ok(tarball, 'build/authlane-*.tgz is missing: run scripts/install-pkg.sh');
  assert.ok(existsSync(join(modules, 'vite')), 'tests/bundlers/node_modules is missing: run scripts/setup.sh');
  rmSync(work, { recursive: true, force: true });
  rmSync(join(modules, 'authlane'), { recursive: true, force: true });
  mkdirSync(join(modules, 'authlane'), { recursive: true });
  const untar = spawnSync('tar', ['-xzf', join(build, tarball), '-C', join(modules, 'authlane'), '--strip-components=1'], { stdio: 'inherit' });
  assert.equal(untar.status, 0, 'unpacking the tarball');
  // Two builds at a time (the machine has two cores); the pages run while later apps build.
  const oneOf = limit(2);
  const metro = metroApps();
  for (const b of Object.keys(bundlers)) {
    for (const s of Object.keys(shapes).filter((s) => builtBy(b, s))) {
      const dist = oneOf(() => buildApp(b, s));
      dist.catch(() => {}); // reported by its test
      builds.set(`${b}|${s}`, dist);
    }
  }
  for (const [key, args] of [['metro', ['--platform', 'android']], ['hermes', ['--platform', 'ios', '--dev', 'true']]]) {
    const bundle = oneOf(() => metroBuild(metro[key], ...args));
    bundle.catch(() => {});
    builds.set(key, bundle);
  }
  [browser, auth] = await Promise.all([launch(), startAuthServer({ secret })]);
});

after(async () => {
  await Promise.allSettled([...builds.values()]);
  await browser?.close();
  await auth?.close();
  if (sizes.length) console.log(sizes.join('\n'));
  rmSync(work, { recursive: true, force: true });
});

const verifyBytes = () => statSync(join(modules, 'authlane/wasm/verify_bg.wasm')).size;

/**
 * Opens the app at url and checks what a user would: it runs without errors, every script and
 * wasm file it asks for exists, 8 requests through an expired token make 1 refresh and all
 * succeed; for the `all` shape also decodeJwt at import, verifyJwt, and that verifyJwt's module
 * (its ~540 KB of wasm, as a file or inlined) arrives on its first call, not before; for the
 * `authlane/verify` shape, that its verifyJwt works with the module that came at load and fetches
 * nothing more. Resolves with the files fetched before any verifyJwt call: { path, bytes }.
 */
async function checkApp(t, url, shape, { inline, lazyVerify = true }) {
  const page = await browser.newPage();
  t.after(() => page.close());
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const fetched = []; // scripts and wasm the page got, in order: { path, status, bytes: Promise }
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (!r.url().startsWith(url) || !/\.(m?js|wasm)$/.test(path) || r.status() === 304) return;
    fetched.push({ path, status: r.status(), type: r.headers()['content-type'], bytes: r.body().then((b) => b.length, () => 0) });
  });
  const settled = async (list) => Promise.all(list.map(async (f) => ({ path: f.path, status: f.status, type: f.type, bytes: await f.bytes })));

  await page.goto(url + '/');
  await page.waitForFunction(() => window.ready === true || undefined, null, { timeout: 20000 }).catch(() => {});
  assert.deepEqual(errors, []);
  assert.equal(await page.evaluate(() => window.ready), true, 'the app ran');
  const atLoad = await settled(fetched);
  assert.deepEqual(atLoad.filter((f) => f.status !== 200), [], 'every file the page asked for exists');
  // (Vite 7's dev server first answers the moved URL with index.html: see esm/wasm.js.)
  const wasm = atLoad.filter((f) => f.type === 'application/wasm');
  const eager = shape === 'authlane/verify';
  if (inline) assert.equal(wasm.length, 0, 'no wasm file (the bytes are inlined)');
  else assert.equal(wasm.length, eager ? 2 : 1, eager ? 'two wasm files at load (the core, the verification module)' : 'one wasm file at load (the core)');

  auth.reset();
  const tokens = await auth.issueTokens({ ttl: -60 });
  const statuses = await page.evaluate((a) => window.app.requests(a), { base: auth.url, tokens, n: 8 });
  assert.deepEqual(statuses, Array(8).fill(200));
  assert.equal(auth.refreshCalls, 1, 'one refresh for 8 expired requests');
  assert.equal(auth.apiLog('/api/b/').filter((r) => r.tokenState === 'valid').length, 8);
  const beforeVerify = await settled(fetched);
  const loaded = (files) => files.reduce((n, f) => n + f.bytes, 0);
  if (eager) {
    assert.ok(loaded(beforeVerify) >= verifyBytes(), `verifyJwt's module came at load (${loaded(beforeVerify)} bytes)`);
    const fresh = await auth.issueTokens({ ttl: 300 });
    assert.equal(await page.evaluate(([tk, s]) => window.app.verify(tk, s), [fresh.accessToken, secret]), 'user-1');
    assert.equal(await page.evaluate(([tk]) => window.app.verify(tk, 'not the secret'), [fresh.accessToken]), 'SIGNATURE_INVALID');
    assert.equal((await settled(fetched)).length, beforeVerify.length, 'verifyJwt fetched nothing more');
    return beforeVerify;
  }
  if (lazyVerify) assert.ok(loaded(beforeVerify) < verifyBytes(), `verifyJwt's module is not loaded before its first call (${loaded(beforeVerify)} bytes)`);
  if (shape !== 'all') return beforeVerify;

  assert.equal(await page.evaluate(() => window.decodedAtImport), 'José', 'decodeJwt ran synchronously at import');
  assert.equal(await page.evaluate((tk) => window.app.decode(tk).sub, tokens.accessToken), 'user-1');
  assert.equal(await page.evaluate(() => window.app.reducerState().authenticated), false, "'authlane/redux' resolved");
  const fresh = await auth.issueTokens({ ttl: 300 });
  assert.equal(await page.evaluate(([tk, s]) => window.app.verify(tk, s), [fresh.accessToken, secret]), 'user-1');
  assert.equal(await page.evaluate(([tk]) => window.app.verify(tk, 'not the secret'), [fresh.accessToken]), 'SIGNATURE_INVALID');
  if (lazyVerify) {
    const byVerify = (await settled(fetched)).slice(beforeVerify.length);
    assert.ok(loaded(byVerify) >= verifyBytes(), `verifyJwt's module arrives on its first call (${loaded(byVerify)} bytes)`);
  }
  // DPoP: its module comes with the first client that asks for it, and signs with WebCrypto.
  const beforeDpop = (await settled(fetched)).length;
  assert.match(await page.evaluate((base) => window.app.dpopKey(base), auth.url), /^[\w-]{43}$/, 'a client with dpop has a key');
  const byDpop = (await settled(fetched)).slice(beforeDpop);
  if (!inline) assert.equal(byDpop.filter((f) => f.type === 'application/wasm').length, 1, 'the DPoP module, fetched on the first dpop client');
  return beforeVerify;
}

const checked = { all: '; decodeJwt, lazy verifyJwt, a client with dpop', 'authlane/verify': "; verifyJwt from 'authlane/verify', its module loaded at import" };
for (const bundler of Object.keys(bundlers)) {
  for (const shape of Object.keys(shapes).filter((s) => builtBy(bundler, s))) {
    test(`${bundler} build, ${shape}: no node:* module; 8 requests through an expired token make 1 refresh${checked[shape] || ''}`, async (t) => {
      const dist = await builds.get(`${bundler}|${shape}`);
      const scripts = filesUnder(dist).filter((f) => f.endsWith('.js'));
      assert.ok(scripts.length > 0);
      for (const f of scripts) assert.doesNotMatch(readFileSync(f, 'utf8'), /["'`]node:[a-z]|require\(["'](fs|path)["']\)/, `${f} pulls in a Node module`);
      const site = await serveDir(dist);
      t.after(() => site.close());
      const b = bundlers[bundler];
      const files = await checkApp(t, site.url, shape, { inline: !!b.inline, lazyVerify: b.lazyVerify !== false });
      if (shape === 'createAuthClient only') {
        const gzip = (ext) => files.filter((f) => f.path.endsWith(ext)).reduce((n, f) => n + gzipSync(readFileSync(join(dist, f.path))).length, 0);
        const [js, wasm] = [gzip('.js'), gzip('.wasm')];
        const kb = (n) => (n / 1024).toFixed(1) + ' KB';
        sizes.push(`size: ${bundler}, a page importing only createAuthClient fetches ${kb(js + wasm)} gzip (JS ${kb(js)} + wasm ${kb(wasm)}; zlib level 6)`);
      }
    });
  }
}

/** Dev servers, as `npm run dev` starts them: the app has the package in its own node_modules. */
const devServers = {
  'Vite 7': (port) => [join(modules, 'vite7/bin/vite.js'), '--port', port, '--strictPort', '--host', '127.0.0.1'],
  'Vite 8': (port) => [join(modules, 'vite/bin/vite.js'), '--port', port, '--strictPort', '--host', '127.0.0.1'],
  'Parcel 2': (port) => [join(modules, 'parcel/lib/bin.js'), 'serve', 'index.html', '--port', port, '--no-cache', '--no-hmr'],
};

for (const [name, args] of Object.entries(devServers)) {
  test(`${name} dev server, all: decodeJwt at import, 8 requests through an expired token make 1 refresh, lazy verifyJwt`, async (t) => {
    await Promise.allSettled([...builds.values()]); // the builds have the two cores first
    const dir = join(work, `dev-${name.replace(/\W+/g, '-')}`);
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    for (const f of ['requests.js', 'all.js']) cpSync(join(shared, 'app', f), join(dir, f));
    writeFileSync(join(dir, 'main.js'), "import './all.js';\n");
    writeFileSync(join(dir, 'index.html'), html('./main.js'));
    writeFileSync(join(dir, 'package.json'), '{ "name": "app", "private": true }\n');
    writeFileSync(join(dir, 'package-lock.json'), '{ "name": "app", "lockfileVersion": 3, "requires": true, "packages": { "": { "name": "app" } } }\n');
    cpSync(join(modules, 'authlane'), join(dir, 'node_modules', 'authlane'), { recursive: true });
    const port = String(await freePort());
    const server = spawn(process.execPath, args(port), { cwd: dir, env: { ...process.env, NO_COLOR: '1', BROWSER: 'none' }, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => server.kill());
    let log = '';
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} dev server did not start:\n${log}`)), 30000);
      const seen = (chunk) => {
        log += chunk;
        if (/ready in|Server running at|Local:/.test(log)) { clearTimeout(timer); resolve(); }
      };
      server.stdout.on('data', seen);
      server.stderr.on('data', seen);
      server.on('exit', () => reject(new Error(`${name} dev server exited:\n${log}`)));
    });
    const inline = name.startsWith('Parcel');
    await checkApp(t, `http://127.0.0.1:${port}`, 'all', { inline });
  });
}

test('Metro (the React Native template config) resolves the react-native entry; the bundle runs: decodeJwt, 5 requests through an expired token, 1 refresh', async () => {
  const bundle = await builds.get('metro');
  const dir = join(work, 'metro');
  const code = readFileSync(bundle, 'utf8');
  assert.match(code, /verifyJwt is not in the React Native build of authlane .*'authlane\/verify'/, 'the bundle holds rn/index.js');
  assert.doesNotMatch(code, /["'`]node:[a-z]|new URL\(["'][^"']*\.wasm["']/, 'nothing of the web or Node entries');

  auth.reset();
  const tokens = await auth.issueTokens({ ttl: -60 });
  writeFileSync(join(dir, 'input.json'), JSON.stringify({ base: auth.url, tokens, n: 5 }));
  const script = `
    globalThis.appInput = JSON.parse(require('fs').readFileSync(${JSON.stringify(join(dir, 'input.json'))}, 'utf8'));
    globalThis.appOutput = (out) => console.log(JSON.stringify(out));
    require(${JSON.stringify(bundle)});`;
  const { stdout } = await run(process.execPath, ['-e', script], { timeout: 30000 });
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)), {
    decoded: 'José', statuses: [200, 200, 200, 200, 200], verify: 'INVALID_CONFIG',
  });
  assert.equal(auth.refreshCalls, 1);
});

test('Metro, development build: the React Native scenarios of tests/hermes run in Hermes through `authlane`', async () => {
  const bundle = await builds.get('hermes');
  const dir = join(work, 'hermes');
  const bin = here('../../node_modules/hermes-engine-cli/linux64-bin/');
  await run(join(bin, 'hermesc'), ['-O', '-w', '-emit-binary', '-out', join(dir, 'bundle.hbc'), bundle]);
  const r = spawnSync(join(bin, 'hermes'), ['-Xmicrotask-queue', join(dir, 'bundle.hbc')], { encoding: 'utf8', timeout: 60000 });
  const out = r.stdout + r.stderr;
  const count = readFileSync(here('../hermes/scenarios.mjs'), 'utf8').match(/^  '[^']+': async/gm).length;
  assert.equal(r.status, 0, out);
  assert.match(out, new RegExp(`^hermes: ${count} passed, 0 failed$`, 'm'), out);
});
