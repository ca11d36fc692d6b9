// Types for `authlane/verify`: verifyJwt alone (the same function as `authlane`'s).
export { verifyJwt } from './index.js';
export type { Claims, Jwk, VerifyOptions } from './index.js';
