// Loads the wasm modules in browsers and web workers (the package's `import` and `module` entry:
// what Vite, webpack, Rollup, esbuild and Next.js's client bundles pick, since they declare the
// `module` condition and emit `new URL(…)` assets). The core loads at import time (top-level await),
// so decodeJwt is synchronous right after import; the verification module (verify-wasm.js) loads
// on first use.
// Each .wasm is named by a literal `new URL('…', import.meta.url)`: the pattern bundlers turn
// into an emitted asset. Nothing here imports a Node module. Servers (Node, Deno, Bun, server
// bundles), browser bundlers without the `module` condition (Metro for Expo's web platform) and
// the `authlane-inline` condition get wasm.inline.js, edge runtimes wasm.edge.js, CommonJS
// wasm.cjs, React Native wasm.rn.js.
import * as glue from '../wasm/authlane.js';
import { fetchWasm } from './fetch-wasm.js';
import { makeError } from './errors.js';

const instance = await glue.default({ module_or_path: fetchWasm(new URL('../wasm/authlane_bg.wasm', import.meta.url)) });
glue.setErrorFactory(makeError);

/** The core's exports, ready. A value set by this module (not a re-export of the glue), so a
 * bundler cannot reach the glue without running the load above. */
export const core = glue;

/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
export function wasmMemoryBytes() {
  return instance.memory.buffer.byteLength;
}

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
export function loadVerifier() {
  return import('./verify-wasm.js').then((m) => m.verifier);
}
