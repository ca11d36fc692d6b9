// Loads the wasm modules on edge runtimes (the `edge-light` export condition: Next.js's edge
// runtime for routes and middleware, Vercel Edge Functions). Those forbid compiling WebAssembly
// from bytes (no `new WebAssembly.Module(bytes)`, no `WebAssembly.instantiate(bytes)`); they
// compile a `.wasm?module` import ahead of time, and Next.js (webpack and Turbopack) lists the
// file as the function's wasm binding. Instantiating that compiled module is allowed, and
// synchronous: no top-level await. The glue is the inline build's (no `new URL(…)` for the
// bundler to emit; initSync takes a module compiled in another realm, as Next.js's local edge
// sandbox hands over: scripts/assemble.mjs). Same exports as wasm.js.
import * as glue from '../inline/authlane_glue.js';
import compiled from '../wasm/authlane_bg.wasm?module';
import { makeError } from './errors.js';

const instance = glue.initSync({ module: compiled });
glue.setErrorFactory(makeError);

/** The core's exports, ready (see wasm.js). */
export const core = glue;

/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
export function wasmMemoryBytes() {
  return instance.memory.buffer.byteLength;
}

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
export function loadVerifier() {
  return import('./verify-wasm.js').then((m) => m.verifier);
}
