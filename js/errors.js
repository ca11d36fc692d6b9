// AuthlaneError: one class for every error authlane raises, with a stable `code`.
// Written without `class` syntax so the same file runs on Hermes 0.12.

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

/** The factory the wasm module calls for every error that crosses the boundary. */
export function makeError(code, message, cause) {
  return new AuthlaneError(code, message, cause === undefined ? undefined : { cause });
}
