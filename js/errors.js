// AuthlaneError: one class for every error authlane raises, with a stable `code`.
// Written without `class` syntax so the same file runs on Hermes 0.12.
import { SESSION_ENDED } from './facts.js';

/**
 * @param {string} code stable code, e.g. "SESSION_EXPIRED"
 * @param {string} message what happened and what to do
 * @param {{ cause?: unknown, reason?: string }} [options]
 */
export function AuthlaneError(code, message, options) {
  const self = Reflect.construct(Error, [message], new.target || AuthlaneError);
  Object.defineProperty(self, 'name', { value: 'AuthlaneError', writable: true, configurable: true });
  self.code = code;
  if (options && options.cause !== undefined) {
    Object.defineProperty(self, 'cause', { value: options.cause, writable: true, configurable: true });
  }
  if (options && options.reason !== undefined) self.reason = options.reason;
  return self;
}
AuthlaneError.prototype = Object.create(Error.prototype, {
  constructor: { value: AuthlaneError, writable: true, configurable: true },
  name: { value: 'AuthlaneError', writable: true, configurable: true },
});
Object.setPrototypeOf(AuthlaneError, Error);

/** True for an AuthlaneError, also one from another realm or another copy of the package. */
export function isAuthlaneError(error) {
  return (
    error !== null &&
    typeof error === 'object' &&
    error.name === 'AuthlaneError' &&
    typeof error.code === 'string'
  );
}

const CAUSE_DEPTH = 5; // wrappers seen in practice: axios, TanStack Query, an app's own error

/**
 * True when the error says the session is over (SESSION_EXPIRED or LOGGED_OUT), also when that
 * AuthlaneError is the `cause` of another error (axios's, an app's), a few levels deep: sending
 * the request again cannot succeed until the user logs in. Works across realms.
 * @example new QueryClient({ defaultOptions: { queries: { retry: (n, e) => !isSessionError(e) && n < 3 } } })
 */
export function isSessionError(error) {
  let e = error;
  for (let depth = 0; depth < CAUSE_DEPTH && e !== null && typeof e === 'object'; depth++) {
    if (isAuthlaneError(e) && SESSION_ENDED.includes(e.code)) return true;
    e = e.cause;
  }
  return false;
}

/** The factory the wasm module calls for every error that crosses the boundary. */
export function makeError(code, message, cause) {
  return new AuthlaneError(code, message, cause === undefined ? undefined : { cause });
}
