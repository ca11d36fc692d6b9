// scenario.js outside browsers: Node (this one and Node 18, the oldest supported), Deno and Bun
// (their npm packages, tests/runtimes/package.json) through `authlane` (import and require, and
// with verifyJwt from `authlane/verify`), and JavaScriptCore's `jsc` shell through
// `authlane/react-native` and `authlane/verify`, with WebAssembly (the wasm bytes) and without
// (wasm2js, the path of Hermes and iOS JavaScriptCore). Each run gets its own servers
// (world.mjs); the server-side ones must exit by themselves after dispose().
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorld } from './world.mjs';
import { expectScenario } from './expect.mjs';
import { bundleForJsc, here, runJsc, runServerSide } from './hosts.mjs';

const RUNTIMES = {
  'Node (current)': { command: process.execPath, args: ['server-entry.mjs'], version: /^Node \d+\./ },
  'Node 18': { command: here('../../.cache/node18/bin/node'), args: ['server-entry.mjs'], version: /^Node 18\./ },
  'Deno': { command: here('node_modules/@deno/linux-x64-glibc/deno'), args: ['run', '--allow-net', '--allow-read', '--allow-env', '--quiet', 'server-entry.mjs'], version: /^Deno 2\./, env: { NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } },
  'Bun': { command: here('node_modules/@oven/bun-linux-x64/bin/bun'), args: ['server-entry.mjs'], version: /^Bun 1\./ },
};

const LOADS = {
  "import 'authlane'": { flag: [], entry: 'inline/index.js' },
  "require('authlane')": { flag: ['--require'], entry: 'cjs/index.js' },
  "import 'authlane', verifyJwt from 'authlane/verify'": { flag: ['--verify-entry'], entry: 'inline/index.js', verifyEntry: 'inline/verify-entry.js' },
};

for (const [name, runtime] of Object.entries(RUNTIMES)) {
  for (const [how, load] of Object.entries(LOADS)) {
    test(`${name}: the scenario through ${how}, and the process exits by itself`, async (t) => {
      assert.ok(existsSync(runtime.command), `${runtime.command} is missing: run scripts/setup.sh`);
      const world = await startWorld();
      try {
        const run = await runServerSide(runtime.command, [...runtime.args, ...load.flag], world.control, { env: runtime.env });
        assert.equal(run.exitCode, 0, run.output);
        assert.match(run.result.runtime, runtime.version);
        assert.equal(run.result.entry, load.entry, 'the build the runtime picked from the exports map');
        assert.equal(run.result.verifyEntry, load.verifyEntry, 'the authlane/verify build the runtime picked');
        t.diagnostic(`${run.result.runtime}, ${run.result.entry}, exited ${run.exitAfterMs} ms after its result`);
        expectScenario(world, run.result);
      } finally {
        await world.close();
      }
    });
  }
}

let dir;
let bundle;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'authlane-jsc-'));
  bundle = join(dir, 'jsc-bundle.js');
  await bundleForJsc(bundle);
});
after(() => rmSync(dir, { recursive: true, force: true }));

for (const mode of ['wasm', 'wasm2js']) {
  test(`JavaScriptCore (jsc): the scenario through 'authlane/react-native', verifyJwt from 'authlane/verify', ${mode === 'wasm' ? 'on WebAssembly' : 'WebAssembly deleted (wasm2js)'}`, async () => {
    const world = await startWorld();
    try {
      const run = await runJsc(bundle, mode, world.control);
      assert.equal(run.exitCode, 0, run.output);
      expectScenario(world, run.result);
      assert.deepEqual(run.result.engine, mode === 'wasm'
        ? { webAssembly: true, wasmInstances: 1, liveTimers: 0, requestsInFlight: 0 }
        : { webAssembly: false, wasmInstances: 0, liveTimers: 0, requestsInFlight: 0 },
      'the path taken (the core is wasm2js in React Native builds; with WebAssembly, the verification module on it), and nothing left running after dispose()');
    } finally {
      await world.close();
    }
  });
}
