// decodeJwt (synchronous, in the core module) and verifyJwt (lazily loaded module).
import { core, loadVerifier } from './wasm.js';
import { AuthlaneError } from './errors.js';

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
  const verifier = await loadVerifier();
  try {
    return verifier.verifyJwt(token, options);
  } catch (e) {
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      throw new AuthlaneError(e.code, e.message, e.reason === undefined ? undefined : { reason: e.reason });
    }
    throw new AuthlaneError('SIGNATURE_INVALID', 'verifyJwt failed', { cause: e, reason: 'signature' });
  }
}
