// Loads the wasm modules in Node (18+), Deno and Bun (the `node` export condition): synchronously
// from the package's files, so the ESM entry has no top-level await there. Same exports as wasm.js.
import { readFileSync } from 'node:fs';
import * as glue from '../wasm/authlane.js';
import { makeError } from './errors.js';

const read = (name) => readFileSync(new URL('../wasm/' + name, import.meta.url));
const instance = glue.initSync({ module: read('authlane_bg.wasm') });
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
