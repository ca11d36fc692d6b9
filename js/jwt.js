// decodeJwt (synchronous, in the core module) and verifyJwt (lazily loaded module).
import { core, loadVerifier } from './wasm.js';
import { makeError } from './errors.js';
import { callVerifier } from './verify-call.js';

/**
 * The payload (or with `{ header: true }` the header) of a JWT. Does not validate.
 * @example decodeJwt(token).exp
 */
export function decodeJwt(token, options) {
  const header = options !== null && typeof options === 'object' && options.header === true;
  const [ok, value] = core.decode(token, header);
  if (!ok) throw makeError(value.code, value.message);
  // The core checked it is JSON; the engine's JSON.parse builds the value.
  return JSON.parse(value);
}

/**
 * Checks the signature and standard claims; resolves with the payload or rejects with
 * SIGNATURE_INVALID (its `reason` says which check failed).
 */
export async function verifyJwt(token, options) {
  return callVerifier(await loadVerifier(), token, options);
}
