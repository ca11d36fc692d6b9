// The package's React Native builds (authlane/react-native and, by the `react-native` condition,
// authlane/verify) in the real Hermes VM (hermes-engine-cli 0.12, no WebAssembly), and the same
// scenarios in Node: with WebAssembly deleted (wasm2js), present and refusing the module. The core
// is wasm2js in every engine (React Native's Hermes has no WebAssembly: carrying wasm bytes too
// doubled the entry's size); authlane/verify uses WebAssembly where the engine has it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const bin = here('../../node_modules/hermes-engine-cli/linux64-bin/');
// Every scenario in tests/hermes/scenarios.mjs ran and passed (none skipped by a crash).
const scenarioCount = readFileSync(here('../hermes/scenarios.mjs'), 'utf8').match(/^  '[^']+': async/gm).length;
const ALL_PASSED = new RegExp(`^hermes: ${scenarioCount} passed, 0 failed$`, 'm');

test('in Hermes: memory growth, decodeJwt, login, one refresh for 5 requests, SESSION_EXPIRED, split storage, authlane/verify', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'authlane-hermes-'));
  const bundle = join(dir, 'bundle.js');
  // `authlane/react-native` resolves through the installed package's exports map.
  // `authlane/verify` by the `react-native` condition, as Metro resolves it.
  await build({ entryPoints: [here('../hermes/entry.mjs')], bundle: true, format: 'iife', target: 'es2016', outfile: bundle, logLevel: 'error', nodePaths: [here('../node_modules')], conditions: ['react-native'] });
  execFileSync(join(bin, 'hermesc'), ['-O', '-emit-binary', '-out', join(dir, 'bundle.hbc'), bundle]);
  const run = spawnSync(join(bin, 'hermes'), ['-Xmicrotask-queue', join(dir, 'bundle.hbc')], { encoding: 'utf8', timeout: 60000 });
  const out = run.stdout + run.stderr;
  assert.equal(run.status, 0, out);
  assert.match(out, ALL_PASSED, out);
  assert.doesNotMatch(out, /not ok/);
});

test('in Node without WebAssembly: the same scenarios load the wasm2js build', () => {
  const script = `
    // Node's own fetch (undici) parses HTTP with WebAssembly: make it load that before it goes.
    const http = await import('node:http');
    const warm = http.createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1');
    await new Promise((r) => warm.once('listening', r));
    await (await fetch('http://127.0.0.1:' + warm.address().port)).text();
    warm.close();
    delete globalThis.WebAssembly;
    const { run } = await import(${JSON.stringify(here('../hermes/scenarios.mjs'))});
    const failed = await run((line) => console.log(line));
    process.exitCode = failed ? 1 : 0;`;
  const r = spawnSync(process.execPath, ['--conditions=react-native', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: here('../'), timeout: 60000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, ALL_PASSED);
});

/** Runs the scenarios in Node through `authlane/react-native` after `prelude`; counts instances. */
function scenariosInNode(prelude) {
  const script = `
    const Instance = globalThis.WebAssembly && WebAssembly.Instance;
    globalThis.instances = 0;
    if (Instance) WebAssembly.Instance = function (...args) { globalThis.instances++; return new Instance(...args); };
    ${prelude}
    const { run } = await import(${JSON.stringify(here('../hermes/scenarios.mjs'))});
    const failed = await run((line) => console.log(line));
    console.log('instances: ' + globalThis.instances);
    process.exitCode = failed ? 1 : 0;`;
  const r = spawnSync(process.execPath, ['--conditions=react-native', '--input-type=module', '-e', script], { encoding: 'utf8', cwd: here('../'), timeout: 60000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, ALL_PASSED);
  return Number(/^instances: (\d+)$/m.exec(r.stdout)[1]);
}

test('with WebAssembly, the React Native builds: the same scenarios, the core as wasm2js, authlane/verify on a wasm instance', () => {
  assert.equal(scenariosInNode(''), 1);
});

test('with a WebAssembly that refuses the module, the React Native build falls back to wasm2js', () => {
  assert.equal(scenariosInNode(`WebAssembly.Module = function () { throw new WebAssembly.CompileError('refused'); };`), 0);
});

test('the React Native bundle loads in Metro: no top-level await, import.meta, dynamic import() or class syntax', async () => {
  const { readFileSync } = await import('node:fs');
  for (const file of ['index.js', 'index.cjs', 'verify.js', 'verify.cjs']) {
    const code = readFileSync(here(`../node_modules/authlane/rn/${file}`), 'utf8');
    assert.doesNotMatch(code, /import\.meta/, file);
    assert.doesNotMatch(code, /\bimport\s*\(/, file);
    assert.doesNotMatch(code, /^await\b/m, file);
    assert.doesNotMatch(code, /^\s*(export\s+)?class\s/m, file);
  }
  const pkg = JSON.parse(readFileSync(here('../node_modules/authlane/package.json'), 'utf8'));
  assert.equal(pkg.exports['.']['react-native'], './rn/index.js');
  assert.equal(pkg.exports['./react-native'].import, './rn/index.js');
  assert.equal(pkg.exports['./verify']['react-native'], './rn/verify.js');
});
