// 1. Size, per entry point: gzip -9 and brotli of everything each entry point loads, against
// esbuild-minified bundles of the alternatives. What a user's page pays is page-size.mjs.
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const gz = (b) => gzipSync(b, { level: 9 }).length;
const br = (b) => brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

async function minified(code, resolveDir, external = []) {
  const out = await build({ stdin: { contents: code, resolveDir, loader: 'js' }, bundle: true, minify: true, format: 'esm', platform: 'browser', write: false, external, logLevel: 'error' });
  return Buffer.from(out.outputFiles[0].contents);
}

export async function sizes() {
  const pkg = (p) => readFileSync(`${root}pkg/${p}`);
  const parts = {
    // The JS shell and glue minified as one file, plus the wasm the entry loads.
    authlane: [await minified(`export * from './index.js'`, `${root}pkg/esm`, ['node:fs/promises', '../wasm/verify.js']), pkg('wasm/authlane_bg.wasm')],
    'authlane/redux': [await minified(`export * from './redux.js'`, `${root}pkg/esm`)],
    'authlane/react-native (wasm2js + wasm bytes)': [await minified(`export * from './index.js'`, `${root}pkg/rn`)],
    'verifyJwt module (loaded on first use)': [pkg('wasm/verify_bg.wasm'), await minified(`export * from './verify.js'`, `${root}pkg/wasm`)],
    'axios + axios-auth-refresh + jwt-decode': [await minified(`export { default as axios } from 'axios'; export { default as refresh } from 'axios-auth-refresh'; export { jwtDecode } from 'jwt-decode';`, root)],
    'ky + jwt-decode': [await minified(`export { default as ky } from 'ky'; export { jwtDecode } from 'jwt-decode';`, root)],
  };
  const rows = Object.entries(parts).map(([name, files]) => ({
    name, raw: files.reduce((n, f) => n + f.length, 0), gzip: files.reduce((n, f) => n + gz(f), 0), brotli: files.reduce((n, f) => n + br(f), 0),
  }));
  const axios = rows.find((r) => r.name.startsWith('axios'));
  const kb = (n) => (n / 1024).toFixed(1);
  const lines = ['| what it loads | raw KB | gzip -9 KB | brotli KB | gzip vs axios stack |', '| --- | ---: | ---: | ---: | ---: |'];
  for (const r of rows) lines.push(`| ${r.name} | ${kb(r.raw)} | ${kb(r.gzip)} | ${kb(r.brotli)} | ${(r.gzip / axios.gzip).toFixed(2)} |`);
  // The React Native entry carries the wasm bytes as base64 (for engines with WebAssembly).
  const rnGzip = rows.find((r) => r.name.startsWith('authlane/react-native')).gzip;
  const wasmBase64Gzip = gz(Buffer.from(pkg('wasm/authlane_bg.wasm').toString('base64')));
  return { table: lines.join('\n'), rnGzip, wasmBase64Gzip };
}
