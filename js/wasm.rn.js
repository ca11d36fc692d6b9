// Loads the core for React Native: the module compiled to JavaScript (wasm2js; Hermes has no
// WebAssembly), synchronously, with UTF-8 fallbacks installed first. The build bundles this in
// place of wasm.js (no top-level await, no import.meta, nothing Metro cannot see).
import './text-codec.js';
import * as module from 'authlane-rn-wasm2js';
import { bind } from './core.js';
import { AuthlaneError } from './errors.js';
import { CODE } from './facts.js';

/** The core, ready (see wasm.js). */
export const core = bind(module);

/** verifyJwt's module (jsonwebtoken and its crypto) is not in every app: `authlane/verify` has it. */
export function loadVerifier() {
  return Promise.reject(new AuthlaneError(CODE.INVALID_CONFIG,
    "verifyJwt is not in the React Native build of authlane (its crypto would add about 230 KB gzip to every app): import { verifyJwt } from 'authlane/verify' where you need it, or verify tokens on your server and read claims with decodeJwt"));
}
/** The core module's linear memory in bytes (for benchmarks and leak checks; not public API). */
export const wasmMemoryBytes = () => core.memoryBytes();

/** The core with DPoP: `authlane/dpop` brings it (and the signer Hermes needs), as
 * `authlane/verify` brings verifyJwt, so that an app without DPoP does not carry it. */
export function loadDpopCore() {
  const dpop = globalThis[Symbol.for('authlane.dpop')];
  if (dpop && typeof dpop.core === 'function') return Promise.resolve().then(() => dpop.core());
  return Promise.reject(new AuthlaneError(CODE.INVALID_CONFIG,
    "dpop: the React Native build of authlane carries DPoP in its own entry: import 'authlane/dpop' once, before createAuthClient"));
}
