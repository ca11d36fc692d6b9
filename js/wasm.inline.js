// Loads the core module from bytes inlined in the JavaScript, synchronously: no top-level await,
// no `new URL('…', import.meta.url)`, no file located at run time. What gets it (the exports map
// of pkg-template/package.json says which condition picks which build):
// - every server: Node, Deno and Bun (the `node` condition), and what bundles code for a server
//   under that condition (Next.js's server rendering, server components and route handlers with
//   Turbopack or webpack, Vite's server rendering), where a file the code locates at run time
//   is not where the bundler moved the code;
// - browser bundlers that declare no `module` condition (Metro for Expo's web platform), which
//   may not handle top-level await or emit `new URL(…)` assets;
// - the `authlane-inline` condition (esbuild's iife output) and Parcel (the `browser` field).
// The core compiles synchronously at import (browsers allow that on the main thread up to 8 MB);
// the verification module's bytes sit in their own module, imported with verify-wasm.js on the
// first verifyJwt call. Same exports as wasm.js.
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

/** The core with DPoP, loaded for the first client with `dpop`. */
export function loadDpopCore() {
  return import('./dpop-wasm.js').then((m) => m.core);
}
