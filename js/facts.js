// Generated from crates/core (error.rs, action.rs) by crates/core/tests/js_facts.rs: do not edit.
// UPDATE_JS_FACTS=1 cargo test -p authlane-core --test js_facts writes it again.

/** The stable error codes (API.md, "Errors"). */
export const CODE = Object.freeze({
  INVALID_CONFIG: 'INVALID_CONFIG',
  INVALID_TOKEN: 'INVALID_TOKEN',
  SESSION_EXPIRED: 'SESSION_EXPIRED',
  REFRESH_FAILED: 'REFRESH_FAILED',
  BAD_REFRESH_RESPONSE: 'BAD_REFRESH_RESPONSE',
  LOGGED_OUT: 'LOGGED_OUT',
  TIMEOUT: 'TIMEOUT',
  NETWORK_ERROR: 'NETWORK_ERROR',
  STORAGE_ERROR: 'STORAGE_ERROR',
  BODY_NOT_REPLAYABLE: 'BODY_NOT_REPLAYABLE',
});

/** The codes that mean the session is over: a request sent again cannot succeed until a login. */
export const SESSION_ENDED = ['SESSION_EXPIRED', 'LOGGED_OUT'];

/** The lifecycle actions' names; an action's type is 'authlane/' + its name. */
export const ACTION_NAMES = ['restored', 'loggedIn', 'refreshStarted', 'refreshSucceeded', 'refreshFailed', 'sessionExpired', 'loggedOut'];
