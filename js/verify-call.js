// One verifyJwt call into the verification module, shared by `authlane` (jwt.js) and
// `authlane/verify` (verify-entry.js).
import { AuthlaneError } from './errors.js';

/** The payload, or an AuthlaneError for what the module threw (its `reason` kept). */
export function callVerifier(verifier, token, options) {
  try {
    return verifier.verifyJwt(token, options);
  } catch (e) {
    if (e && typeof e.code === 'string' && typeof e.message === 'string') {
      throw new AuthlaneError(e.code, e.message, e.reason === undefined ? undefined : { reason: e.reason });
    }
    throw new AuthlaneError('SIGNATURE_INVALID', 'verifyJwt failed', { cause: e, reason: 'signature' });
  }
}
