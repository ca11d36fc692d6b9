// Loads the core module on edge runtimes (the `edge-light` export condition: Next.js's edge
// runtime for routes and middleware, Vercel Edge Functions). Those forbid compiling WebAssembly
// from bytes (no `new WebAssembly.Module(bytes)`, no `WebAssembly.instantiate(bytes)`); they
// compile a `.wasm?module` import ahead of time, and Next.js (webpack and Turbopack) lists the
// file as the function's wasm binding. Instantiating that compiled module is allowed, and
// synchronous: no top-level await (Next.js's local edge sandbox hands over a module compiled in
// another realm, which WebAssembly.Instance takes as it is). Same exports as wasm.js.
import compiled from '../wasm/authlane_bg.wasm?module';
import { bind } from './core.js';

/** The core, ready (see wasm.js). */
export const core = bind(new WebAssembly.Instance(compiled, {}).exports);

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
