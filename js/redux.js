// The `authlane/redux` entry: authMiddleware, authReducer, apiCall and selectors.
import { ACTION } from './actions.js';
import { AuthlaneError } from './errors.js';
import { CODE } from './facts.js';

export { ACTION };

const API_CALL = 'authlane/apiCall';

/**
 * An action the middleware turns into `client.fetch`; `dispatch` returns a Promise of the
 * SUCCESS or FAILURE action.
 * @example dispatch(apiCall({ url: '/todos', types: ['todos/request', 'todos/success', 'todos/failure'] }))
 */
export function apiCall({ url, method = 'GET', headers, body, types, meta } = {}) {
  const ok = typeof url === 'string' && Array.isArray(types) && types.length === 3 && types.every((t) => typeof t === 'string');
  if (!ok) {
    throw new AuthlaneError(CODE.INVALID_CONFIG, 'apiCall needs { url: string, types: [REQUEST, SUCCESS, FAILURE] }');
  }
  return { type: API_CALL, payload: { url, method, headers, body, types, meta } };
}

const isPlain = (body) =>
  body !== null && typeof body === 'object' && (Object.getPrototypeOf(body) === Object.prototype || Array.isArray(body));

async function readBody(response) {
  const text = await response.text();
  if (text === '') return null;
  const type = response.headers.get('content-type') || '';
  if (/[/+]json\b/i.test(type)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

async function runApiCall(client, dispatch, { url, method, headers, body, types, meta }) {
  const [REQUEST, SUCCESS, FAILURE] = types;
  const info = { ...meta, url, method };
  dispatch({ type: REQUEST, meta: info });
  const init = { method, headers: new Headers(headers || {}) };
  if (body !== undefined) {
    if (isPlain(body)) {
      init.body = JSON.stringify(body);
      if (!init.headers.has('content-type')) init.headers.set('content-type', 'application/json');
    } else {
      init.body = body;
    }
  }
  let result;
  try {
    const response = await client.fetch(url, init);
    const data = await readBody(response);
    result = response.ok
      ? { type: SUCCESS, payload: data, meta: { ...info, status: response.status } }
      : {
          type: FAILURE,
          error: true,
          payload: { status: response.status, code: 'HTTP_ERROR', message: `HTTP ${response.status}`, data },
          meta: info,
        };
  } catch (error) {
    const code = (error && error.code) || (error && error.name === 'AbortError' ? 'ABORTED' : CODE.NETWORK_ERROR);
    result = { type: FAILURE, error: true, payload: { status: 0, code, message: String((error && error.message) || error) }, meta: info };
  }
  dispatch(result);
  return result;
}

/**
 * Wires the client's lifecycle actions into the store and handles `apiCall` actions; every other
 * action passes to `next` unchanged.
 */
export function authMiddleware(client) {
  if (!client || typeof client.fetch !== 'function' || typeof client.subscribe !== 'function') {
    throw new AuthlaneError(CODE.INVALID_CONFIG, 'authMiddleware(client): pass the client that createAuthClient resolved with');
  }
  return (api) => {
    client.subscribe((action) => api.dispatch(action));
    // The store did not exist when the client read storage: tell it the session now. (Redux
    // forbids dispatching while middleware is being constructed, hence the microtask.)
    Promise.resolve().then(() => api.dispatch({ type: ACTION.restored, payload: client.session() }));
    return (next) => (action) =>
      action && action.type === API_CALL ? runApiCall(client, api.dispatch, action.payload) : next(action);
  };
}

const initialState = Object.freeze({ authenticated: false, claims: null, expiresAt: null, refreshing: false, error: null });

/** `{ authenticated, claims, expiresAt, refreshing, error }` from the lifecycle actions. */
export function authReducer(state = initialState, action) {
  const p = (action && action.payload) || {};
  switch (action && action.type) {
    case ACTION.restored:
      return { ...state, authenticated: Boolean(p.authenticated), claims: p.claims ?? null, expiresAt: p.expiresAt ?? null };
    case ACTION.loggedIn:
      return { ...initialState, authenticated: true, claims: p.claims ?? null, expiresAt: p.expiresAt ?? null };
    case ACTION.refreshStarted:
      return { ...state, refreshing: true };
    case ACTION.refreshSucceeded:
      return { ...state, authenticated: true, claims: p.claims ?? null, expiresAt: p.expiresAt ?? null, refreshing: false, error: null };
    case ACTION.refreshFailed:
      return { ...state, refreshing: false, error: { code: p.code, message: p.message, transient: Boolean(p.transient) } };
    case ACTION.sessionExpired:
      return { ...initialState, error: { code: CODE.SESSION_EXPIRED, message: 'the session expired; log in again', transient: false } };
    case ACTION.loggedOut:
      return initialState;
    default:
      return state;
  }
}

/** The auth slice (mounted under `auth`). */
export const selectAuth = (state) => state.auth;
export const selectIsAuthenticated = (state) => state.auth.authenticated;
export const selectClaims = (state) => state.auth.claims;
