// Loads the wasm modules from bytes inlined in the JavaScript (the `authlane-inline` export
// condition): for bundlers that neither emit `new URL('…', import.meta.url)` assets nor allow
// top-level await at their defaults (esbuild's iife output). The core compiles synchronously at
// import (browsers allow that on the main thread up to 8 MB); the verification module's bytes sit
// in their own module, imported on the first verifyJwt call. Same exports as wasm.js.
import * as glue from './authlane_glue.js';
import coreBase64 from './authlane_bg.wasm.js';
import { makeError } from './errors.js';

/** Bytes of a base64 string (Uint8Array.fromBase64 where the engine has it). */
function bytes(base64) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(base64);
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

const instance = glue.initSync({ module: bytes(coreBase64) });
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
  verifier ??= Promise.all([import('./verify_glue.js'), import('./verify_bg.wasm.js')]).then(([v, base64]) => {
    v.initSync({ module: bytes(base64.default) });
    v.setErrorFactory(makeError);
    return v;
  });
  return verifier;
}
