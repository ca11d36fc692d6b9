// Loads the wasm modules for the ESM build. The core loads at import time (top-level await), so
// decodeJwt is synchronous right after import; the verification module loads on first use.
// The CommonJS build replaces this file with wasm.cjs.
import * as core from '../wasm/authlane.js';
import { makeError } from './errors.js';

async function bytesOrUrl(name) {
  const url = new URL('../wasm/' + name, import.meta.url);
  if (url.protocol !== 'file:') return url;
  const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
  return fs.readFile(url);
}

async function init(glue, name) {
  const source = await bytesOrUrl(name);
  const instance = source instanceof URL ? await glue.default({ module_or_path: source }) : glue.initSync({ module: source });
  glue.setErrorFactory(makeError);
  return { glue, instance };
}

const loaded = await init(core, 'authlane_bg.wasm');
export { core };

/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
export function wasmMemoryBytes() {
  return loaded.instance.memory.buffer.byteLength;
}

let verifier;
/** The verification module, loaded once on the first verifyJwt call. */
export function loadVerifier() {
  verifier ??= import('../wasm/verify.js').then((glue) => init(glue, 'verify_bg.wasm')).then((v) => v.glue);
  return verifier;
}
