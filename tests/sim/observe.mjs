// What the simulations watch of a client: its lifecycle actions (folded by the package's own
// `authReducer`, as an app's store would), the errors it rejects with, and, when a seed is
// replayed with --trace, every event that crosses the boundary into the core with the effects
// that came out (tokens shown by their aliases, A12 / R12).
import { authReducer, ACTION } from 'authlane/redux';
import { core } from '../node_modules/authlane/inline/wasm.js'; // the instance 'authlane' runs on
import { IN } from '../node_modules/authlane/inline/core.js';
import { leaks, redact } from './tokens.mjs';

const KIND = Object.fromEntries(Object.entries(IN).map(([k, v]) => [v, k]));
const trace = { on: false, lines: [], names: new Map(), handles: new Map(), sched: null, naming: null };

/** Wraps the core's boundary once: `create` (which tab a handle is) and `handle` (events). */
function wrapCore() {
  if (core.__simWrapped) return;
  core.__simWrapped = true;
  const create = core.create;
  const handle = core.handle;
  core.create = (record, seed) => {
    const made = create(record, seed);
    if (made && made.handle !== undefined && trace.naming) {
      trace.names.set(made.handle, trace.naming);
      trace.handles.set(trace.naming, made.handle);
    }
    return made;
  };
  core.handle = (h, kind, values, text) => {
    const effects = handle(h, kind, values, text);
    if (trace.on) {
      const who = trace.names.get(h) || `#${h}`;
      const args = values.slice(2).map((n) => (Number.isNaN(n) ? '-' : n)).join(',');
      const t = (trace.sched.mono / 1000).toFixed(3);
      const body = text === undefined ? '' : ` ${JSON.stringify(redact(text.length > 200 ? text.slice(0, 200) + '…' : text))}`;
      const out = effects.slice(0, -2).map((e) => redact(JSON.stringify(e)));
      trace.lines.push(`${t}s ${who} ${KIND[kind]}(${args})${body} -> ${out.join(' ') || '·'}${effects[effects.length - 2] !== null ? ` wake@${effects[effects.length - 2]}` : ''}`);
    }
    return effects;
  };
}

/** Starts a run's trace (`on`: record lines). */
export function startTrace(sched, on) {
  wrapCore();
  trace.on = on;
  trace.lines = [];
  trace.names = new Map();
  trace.handles = new Map();
  trace.sched = sched;
}

/**
 * The session the core of client `name` holds now, read past the shell (whose `session()` may
 * answer from a cache): what the token checks compare with.
 */
export function coreSession(name) {
  const handle = trace.handles.get(name);
  return handle === undefined ? null : core.session(handle);
}

/** Names the client created inside `fn` (its handle) `name` in the trace. */
export async function naming(name, fn) {
  trace.naming = name;
  try {
    return await fn();
  } finally {
    trace.naming = null;
  }
}

/** A line for the trace from the world (a step of the script, a server's answer). */
export function note(line) {
  if (trace.on) trace.lines.push(`${(trace.sched.mono / 1000).toFixed(3)}s   ${redact(line)}`);
}

export const traceLines = () => trace.lines;

/** The codes a request may reject with in these worlds (no storage or API network faults). */
const REQUEST_CODES = new Set(['SESSION_EXPIRED', 'REFRESH_FAILED', 'BAD_REFRESH_RESPONSE', 'LOGGED_OUT', 'TIMEOUT']);

/** Everything an error carries that could show a token: message, cause chain, own strings. */
function errorText(e, depth = 0) {
  if (e === null || e === undefined || depth > 5) return '';
  if (typeof e !== 'object') return String(e);
  let text = `${e.name || ''} ${e.code || ''} ${e.message || ''} ${e.reason || ''}`;
  for (const k of Object.keys(e)) if (typeof e[k] === 'string') text += ` ${e[k]}`;
  return text + errorText(e.cause, depth + 1);
}

/**
 * The observer of one client `name`: `dispatch` is its `dispatch` option. `violation(text)`
 * records a broken invariant. `session()` reads the client's session (set once it exists).
 */
export function observer(name, violation) {
  const o = {
    name,
    actions: [],
    state: authReducer(undefined, { type: '@@init' }),
    /** sessionExpired actions since the session began. */
    expiredInSession: 0,
    /** Definitive refusals delivered to this client since its session began (world's count). */
    refusals: 0,
    dispatch(action) {
      const text = JSON.stringify(action);
      if (leaks(text)) violation(`${name}: an action carries a token: ${redact(text)}`);
      o.actions.push(action);
      o.state = authReducer(o.state, action);
      switch (action.type) {
        case ACTION.loggedIn:
        case ACTION.loggedOut:
        case ACTION.restored:
          o.expiredInSession = 0;
          break;
        case ACTION.sessionExpired:
          o.expiredInSession++;
          if (o.expiredInSession > 1) violation(`${name}: sessionExpired twice in one session`);
          break;
        default:
      }
      if (o.onAction) o.onAction(action);
    },
    /** Marks where the app began a session (login() called): it may expire before its loggedIn. */
    sessionBegins() {
      o.expiredInSession = 0;
      o.refusals = 0;
    },
    /** Checks a rejection of a request or an API call. */
    rejected(error, what, codes = REQUEST_CODES) {
      if (leaks(errorText(error))) violation(`${name}: ${what} rejected with an error that carries a token`);
      if (error && error.name === 'AbortError') return 'AbortError';
      if (!error || error.name !== 'AuthlaneError' || !codes.has(error.code)) {
        violation(`${name}: ${what} rejected with ${error && error.name} ${error && error.code}: ${redact(String(error && error.message))}`);
      }
      return error && error.code;
    },
    /** The folded state agrees with `session` (the end of a run: nothing in progress). */
    agrees(session) {
      const s = o.state;
      const same = s.authenticated === session.authenticated
        && JSON.stringify(s.claims) === JSON.stringify(session.claims)
        && s.expiresAt === session.expiresAt;
      if (!same) violation(`${name}: the actions say ${redact(JSON.stringify({ authenticated: s.authenticated, claims: s.claims, expiresAt: s.expiresAt }))}, session() says ${redact(JSON.stringify(session))}`);
      if (s.refreshing) violation(`${name}: the actions leave a refresh in progress (refreshStarted without its end)`);
    },
  };
  return o;
}
