// The `authlane/verify` entry: verifyJwt alone, its wasm module loaded by the import itself (no
// lazy load). React Native's `authlane` has no verifyJwt of its own; apps that need one import
// this. Elsewhere it shares its module instance with `authlane`'s lazily loaded verifyJwt.
import { verifier } from './verify-wasm.js';
import { callVerifier } from './verify-call.js';

/**
 * Checks the signature and standard claims; resolves with the payload or rejects with
 * SIGNATURE_INVALID (its `reason` says which check failed). The same function as `authlane`'s.
 * @example await verifyJwt(token, { key: jwk, algorithms: ['RS256'], issuer: 'https://id.example' })
 */
export async function verifyJwt(token, options) {
  return callVerifier(verifier, token, options);
}
