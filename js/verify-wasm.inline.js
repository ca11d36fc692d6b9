// Loads verifyJwt's wasm module from bytes inlined in the JavaScript, synchronously at import: no
// top-level await, no file located at run time (who gets it: wasm.inline.js). Same export as
// verify-wasm.js.
import * as glue from './verify_glue.js';
import base64 from './verify_bg.wasm.js';
import { bytes } from './wasm-bytes.js';

glue.initSync({ module: bytes(base64) });

/** The verification module's exports, ready. */
export const verifier = glue;
