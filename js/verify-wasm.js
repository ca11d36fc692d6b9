// Loads verifyJwt's wasm module in browsers and web workers, at import (top-level await): the
// module `authlane/verify` imports, and the one wasm.js's loadVerifier imports on the first
// `authlane` verifyJwt call. The .wasm is named by a literal `new URL('…', import.meta.url)`, so
// bundlers emit it as an asset. Servers and the `authlane-inline` condition get
// verify-wasm.inline.js, edge runtimes verify-wasm.edge.js, CommonJS verify-wasm.cjs, React
// Native verify-wasm.rn.js.
import * as glue from '../wasm/verify.js';
import { fetchWasm } from './fetch-wasm.js';

await glue.default({ module_or_path: fetchWasm(new URL('../wasm/verify_bg.wasm', import.meta.url)) });

/** The verification module's exports, ready (a value set here, as `core` in wasm.js). */
export const verifier = glue;
