// 5. Cold start: from import to a ready client, in a fresh Node process each time, and in the
// Hermes VM (the wasm2js build).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { interleave } from './lib.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));

const scripts = {
  authlane: `const { createAuthClient } = await import(${JSON.stringify(root + 'pkg/inline/index.js')});
    const c = await createAuthClient({ baseUrl: 'http://127.0.0.1:9', refresh: { url: '/refresh' } }); c.dispose();`,
  'axios + axios-auth-refresh + jwt-decode': `const { default: axios } = await import('axios'); const { default: refresh } = await import('axios-auth-refresh');
    const { jwtDecode } = await import('jwt-decode'); const i = axios.create({ baseURL: 'http://127.0.0.1:9' });
    i.interceptors.request.use((c) => c); refresh(i, async () => {}); void jwtDecode;`,
  'ky + jwt-decode': `const { default: ky } = await import('ky'); const { jwtDecode } = await import('jwt-decode');
    ky.create({ prefixUrl: 'http://127.0.0.1:9', hooks: { beforeRequest: [() => {}] } }); void jwtDecode;`,
};

export async function coldNode({ rounds }) {
  return interleave(Object.keys(scripts), rounds, (name) => {
    const code = `const t0 = performance.now(); ${scripts[name]} console.log(performance.now() - t0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    return Number(out.trim());
  });
}

export async function coldHermes({ rounds }) {
  const dir = mkdtempSync(join(tmpdir(), 'authlane-bench-hermes-'));
  const entry = join(dir, 'entry.mjs');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(entry, `import { createAuthClient } from ${JSON.stringify(root + 'pkg/rn/index.js')};
    createAuthClient({ baseUrl: 'https://api.example', refresh: { url: '/refresh' }, fetch: () => Promise.reject(new Error('offline')) })
      .then((c) => { c.dispose(); print('ready ' + (Date.now() - globalThis.__t0)); }, (e) => print('failed ' + e.code + ' ' + e.message));`);
  const bundle = join(dir, 'bundle.js');
  await build({ entryPoints: [entry], bundle: true, format: 'iife', target: 'es2016', outfile: bundle, banner: { js: 'globalThis.__t0 = Date.now();' }, logLevel: 'error' });
  const bin = join(root, 'node_modules/hermes-engine-cli/linux64-bin/');
  execFileSync(join(bin, 'hermesc'), ['-O', '-emit-binary', '-out', join(dir, 'bundle.hbc'), bundle]);
  return interleave(['authlane/react-native in Hermes (bytecode)'], rounds, () => {
    const r = spawnSync(join(bin, 'hermes'), ['-Xmicrotask-queue', join(dir, 'bundle.hbc')], { encoding: 'utf8' });
    const m = /ready (\d+)/.exec(r.stdout);
    if (!m) throw new Error('hermes: ' + r.stdout + r.stderr);
    return Number(m[1]);
  });
}
