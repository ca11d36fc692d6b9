// Loads the core for React Native: synchronously (core.rn.js: WebAssembly or wasm2js), with UTF-8
// fallbacks installed first. The build bundles this in place of wasm.js (no top-level await, no
// import.meta, nothing Metro cannot see).
import './text-codec.js';
import * as core from './core.rn.js';
import { AuthlaneError, makeError } from './errors.js';
import { CODE } from './facts.js';

core.setErrorFactory(makeError);
export { core };

/** verifyJwt's module (jsonwebtoken and its crypto) is not in every app: `authlane/verify` has it. */
export function loadVerifier() {
  return Promise.reject(new AuthlaneError(CODE.INVALID_CONFIG,
    "verifyJwt is not in the React Native build of authlane (its crypto would add about 230 KB gzip to every app): import { verifyJwt } from 'authlane/verify' where you need it, or verify tokens on your server and read claims with decodeJwt"));
}
