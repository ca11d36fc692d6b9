// Loads verifyJwt's wasm module in Node (18+), Deno and Bun (the `node` export condition),
// synchronously from the package's files. Same export as verify-wasm.js.
import { readFileSync } from 'node:fs';
import * as glue from '../wasm/verify.js';

glue.initSync({ module: readFileSync(new URL('../wasm/verify_bg.wasm', import.meta.url)) });

/** The verification module's exports, ready. */
export const verifier = glue;
