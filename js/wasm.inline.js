// Loads the core module from bytes inlined in the JavaScript (the `authlane-inline` export
// condition): for bundlers that neither emit `new URL('…', import.meta.url)` assets nor allow
// top-level await at their defaults (esbuild's iife output). It compiles synchronously at import
// (browsers allow that on the main thread up to 8 MB); the verification module's bytes sit in
// their own module, imported with verify-wasm.js on the first verifyJwt call. Same exports as
// wasm.js.
import coreBase64 from './authlane_bg.wasm.js';
import { bytes } from './wasm-bytes.js';
import { bind } from './core.js';

/** The core, ready (see wasm.js). */
export const core = bind(new WebAssembly.Instance(new WebAssembly.Module(bytes(coreBase64)), {}).exports);

/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
export const wasmMemoryBytes = () => core.memoryBytes();

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
export function loadVerifier() {
  return import('./verify-wasm.js').then((m) => m.verifier);
}
