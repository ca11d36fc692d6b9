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

let verifier;
/** The verification module, loaded once on the first verifyJwt call. */
export function loadVerifier() {
  verifier ??= import('../wasm/verify.js').then((v) => {
    v.initSync({ module: read('verify_bg.wasm') });
    v.setErrorFactory(makeError);
    return v;
  });
  return verifier;
}
