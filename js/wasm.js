// Loads the core module in browsers and web workers, through bundlers that declare the `module`
// condition (Vite, webpack, Rollup, esbuild, Next.js's client bundles): it loads at import time
// (top-level await), so decodeJwt is synchronous right after import; the verification module
// (verify-wasm.js) loads on first use.
// The .wasm is named by a literal `new URL('…', import.meta.url)`: the pattern bundlers turn into
// an emitted asset. Nothing here imports a Node module. Servers and other bundlers get
// wasm.inline.js, edge runtimes wasm.edge.js, CommonJS wasm.cjs, React Native wasm.rn.js (the
// exports map of pkg-template/package.json says which condition picks which).
import { bind } from './core.js';
import { fetchWasm } from './fetch-wasm.js';

const response = await fetchWasm(new URL('../wasm/authlane_bg.wasm', import.meta.url));
const { instance } = response.headers.get('content-type') === 'application/wasm' && typeof WebAssembly.instantiateStreaming === 'function'
  ? await WebAssembly.instantiateStreaming(response, {})
  : await WebAssembly.instantiate(await response.arrayBuffer(), {});

/** The core, ready. A value set by this module, so a bundler cannot reach it without the load. */
export const core = bind(instance.exports);

/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
export const wasmMemoryBytes = () => core.memoryBytes();

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
export function loadVerifier() {
  return import('./verify-wasm.js').then((m) => m.verifier);
}

/** The core with DPoP, loaded for the first client with `dpop`. */
export function loadDpopCore() {
  return import('./dpop-wasm.js').then((m) => m.core);
}
