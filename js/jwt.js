// decodeJwt (synchronous, in the core module) and verifyJwt (lazily loaded module).
import { core, loadVerifier } from './wasm.js';
import { callVerifier } from './verify-call.js';

/**
 * The payload (or with `{ header: true }` the header) of a JWT. Does not validate.
 * @example decodeJwt(token).exp
 */
export function decodeJwt(token, options) {
  return core.decodeJwt(token, options);
}

/**
 * Checks the signature and standard claims; resolves with the payload or rejects with
 * SIGNATURE_INVALID (its `reason` says which check failed).
 */
export async function verifyJwt(token, options) {
  return callVerifier(await loadVerifier(), token, options);
}
