// Loads verifyJwt's wasm module on edge runtimes (the `edge-light` export condition), from a
// `.wasm?module` import the platform compiles ahead of time (see wasm.edge.js). Same export as
// verify-wasm.js.
import * as glue from '../inline/verify_glue.js';
import compiled from '../wasm/verify_bg.wasm?module';

glue.initSync({ module: compiled });

/** The verification module's exports, ready. */
export const verifier = glue;
