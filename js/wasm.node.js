// Loads the core module in Node (18+), Deno and Bun (the `node` export condition): synchronously
// from the package's files, so the ESM entry has no top-level await there. Same exports as wasm.js.
import { readFileSync } from 'node:fs';
import { bind } from './core.js';

const module = new WebAssembly.Module(readFileSync(new URL('../wasm/authlane_bg.wasm', import.meta.url)));

/** The core, ready (see wasm.js). */
export const core = bind(new WebAssembly.Instance(module, {}).exports);

/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
export const wasmMemoryBytes = () => core.memoryBytes();

/** The verification module, loaded on the first verifyJwt call (the same instance `authlane/verify` uses). */
export function loadVerifier() {
  return import('./verify-wasm.js').then((m) => m.verifier);
}
