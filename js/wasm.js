// Loads the wasm modules in browsers and web workers (the package's `import` and `module` entry,
// and what Vite, webpack, Parcel and Rollup pick). The core loads at import time (top-level await),
// so decodeJwt is synchronous right after import; the verification module loads on first use.
// Each .wasm is named by a literal `new URL('…', import.meta.url)`: the pattern bundlers turn
// into an emitted asset. Nothing here imports a Node module. Node gets wasm.node.js, the
// `authlane-inline` condition wasm.inline.js, CommonJS wasm.cjs, React Native wasm.rn.js.
import * as glue from '../wasm/authlane.js';
import { makeError } from './errors.js';

/**
 * The response for a .wasm file. Vite 7's dev server runs this module from node_modules/.vite/deps/,
 * where the relative URL no longer reaches the package (its server answers with index.html): there
 * the file is asked for in the package's own folder.
 */
async function fetchWasm(url) {
  const response = await fetch(url);
  const moved = url.pathname.lastIndexOf('/.vite/');
  if (moved < 0 || response.headers.get('content-type') === 'application/wasm') return response;
  return fetch(new URL(url.pathname.slice(0, moved) + '/authlane/wasm/' + url.pathname.split('/').pop(), url));
}

const instance = await glue.default({ module_or_path: fetchWasm(new URL('../wasm/authlane_bg.wasm', import.meta.url)) });
glue.setErrorFactory(makeError);

/** The core's exports, ready. A value set by this module (not a re-export of the glue), so a
 * bundler cannot reach the glue without running the load above. */
export const core = glue;

/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
export function wasmMemoryBytes() {
  return instance.memory.buffer.byteLength;
}

let verifier;
/** The verification module, loaded once on the first verifyJwt call. */
export function loadVerifier() {
  verifier ??= import('../wasm/verify.js').then(async (v) => {
    await v.default({ module_or_path: fetchWasm(new URL('../wasm/verify_bg.wasm', import.meta.url)) });
    v.setErrorFactory(makeError);
    return v;
  });
  return verifier;
}
