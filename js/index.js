// The `authlane` entry point. Every export is named here.
export { AuthlaneError, isAuthlaneError, isSessionError } from './errors.js';
export { ACTION } from './actions.js';
export { memoryStorage, webStorage, keychainStorage, secureStoreStorage } from './storage.js';
export { decodeJwt, verifyJwt } from './jwt.js';
export { createAuthClient } from './client.js';
