// The network between a tab and the servers of server.mjs, as `fetch` (one per tab, given to
// createAuthClient as its `fetch` option). A request travels to the server for a seeded time,
// is answered there (the server's state changes at that moment), and the answer travels back for
// another; it arrives as a task of the tab that sent it (so a frozen tab gets it when it wakes).
// An abort rejects at once with the signal's reason, as fetch does; a request aborted before it
// reached the server never reaches it. Responses are Node's `Response`, with `Date` (the server's
// clock) and their `url` set as fetch sets it.
//
// The refresh endpoint's plans happen here: `hang` (never answered: the server never saw it),
// `lost` (the server rotated, the answer is lost: a network error, or no answer at all), `freeze`
// (the tab freezes right as the call would leave, for longer than the lock timeout, and the call
// never leaves; it times out when the tab wakes), and `reset` (a connection refused: fails
// before reaching the server). A tab frozen after its refresh call reached the server cannot be
// helped by any client (another tab presents the same refresh token meanwhile), so no freeze is
// ever placed there (see `refreshOut`).
//
// The HttpOnly cookie of cookie mode lives in the world's jar (one per browser): sent with
// `credentials: 'include'`, set when a rotation's answer arrives.
//
// Connectivity (`world.offline()`): offline, a fetch fails at once as an offline fetch does
// (TypeError "fetch failed") and reaches nothing (`world.offlineSend`); going offline fails the
// requests still on their way to a server (`drop()`); answers already on their way back arrive.
import { API, FOREIGN } from './server.mjs';

/** A latency: mostly short, sometimes slow. */
export function latency(rand, slow = 0.05) {
  return rand.chance(slow) ? rand.between(100, 1500) : rand.between(0, 25);
}

/** The network of one world: `fetchFor(ctx)` makes a tab's fetch. */
export function network({ sched, rand, server, world }) {
  const jar = { refresh: null };
  let nextId = 1;
  /** Requests on their way to a server: what going offline fails. */
  const travelling = new Set();
  /** ctx -> refresh calls made and not yet over for the tab (answered, failed or aborted). */
  const refreshOut = new Map();

  const headerOf = (headers, name) => {
    if (!headers) return null;
    if (typeof headers.get === 'function') return headers.get(name);
    for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
    return null;
  };

  const respond = (url, { status, json, challenge, retryAfter, date = true }) => {
    const headers = new Headers();
    if (date) headers.set('date', new Date(sched.serverNow()).toUTCString());
    if (challenge) headers.set('www-authenticate', challenge);
    if (retryAfter !== undefined) headers.set('retry-after', retryAfter);
    let body = null;
    if (json !== undefined) {
      body = JSON.stringify(json);
      headers.set('content-type', 'application/json');
    }
    const response = new Response(body, { status, headers });
    Object.defineProperty(response, 'url', { value: url });
    return response;
  };

  function fetchFor(ctx) {
    return function fetch(input, init = {}) {
      const url = typeof input === 'string' ? input : String(input && input.url !== undefined ? input.url : input);
      const method = (init.method || 'GET').toUpperCase();
      const headers = init.headers;
      const body = typeof init.body === 'string' ? init.body : init.body == null ? null : String(init.body);
      const signal = init.signal || null;
      const id = nextId++;
      const path = url.startsWith(API) ? url.slice(API.length) : null;
      const kind = url.startsWith(FOREIGN) ? 'foreign' : path === '/auth/refresh' || path === '/oauth/token' ? 'refresh' : path === '/auth/revoke' ? 'revoke' : path !== null ? 'api' : 'elsewhere';
      const authorization = headerOf(headers, 'authorization');
      const call = { id, ctx, kind, url, method, body, authorization, credentials: init.credentials, at: sched.mono };
      let plan = 'rotate';
      if (kind === 'refresh') {
        plan = server.plans.length > 0 ? server.plans.shift() : 'rotate';
        call.plan = plan;
        call.cookie = init.credentials === 'include' ? jar.refresh : undefined;
      }
      if (world.offline && world.offline()) {
        if (world.offlineSend) world.offlineSend(call);
        return Promise.reject(new TypeError('fetch failed'));
      }
      world.sent(call); // checks at send time

      return new Promise((resolve, reject) => {
        let done = false;
        let cancelArrival = null;
        let cancelAnswer = null;
        const out = kind === 'refresh' ? refreshOut : null;
        const finish = () => {
          done = true;
          if (out) out.set(ctx, (out.get(ctx) || 0) - 1);
          world.ended(call);
        };
        if (out) out.set(ctx, (out.get(ctx) || 0) + 1);
        if (signal) {
          if (signal.aborted) {
            finish();
            return reject(signal.reason);
          }
          signal.addEventListener('abort', () => {
            if (done) return;
            finish();
            if (cancelArrival) cancelArrival();
            if (cancelAnswer) cancelAnswer();
            reject(signal.reason);
          }, { once: true });
        }
        const answer = (make, delay) => {
          cancelAnswer = sched.at(delay, ctx, () => {
            if (done) return;
            finish();
            const r = make();
            if (r instanceof Error) reject(r);
            else resolve(r);
          });
        };
        const networkError = () => new TypeError('fetch failed');

        if (kind === 'refresh' && (plan === 'hang' || plan === 'freeze')) {
          // Never reaches the server; no answer until the caller gives up.
          if (plan === 'freeze') sched.freeze(ctx, world.freezeMs());
          call.neverArrives = true;
          return;
        }
        if (kind === 'refresh' && plan === 'reset') {
          call.neverArrives = true;
          return answer(networkError, latency(rand));
        }
        // A leg's latency; the refresh endpoint's may be capped (a slow answer that outlives the
        // refresh timeout after the server rotated is a lost answer: see `lost`).
        const leg = () => (kind === 'refresh' && world.refreshLegMs ? Math.min(world.refreshLegMs, latency(rand, world.slow)) : latency(rand, world.slow));
        const drop = () => {
          if (done || !cancelArrival) return;
          cancelArrival();
          cancelArrival = null;
          call.neverArrives = true;
          answer(networkError, 0); // in the tab's next task, as any answer
        };
        travelling.add(drop);
        cancelArrival = sched.at(leg(), null, () => {
          cancelArrival = null;
          travelling.delete(drop);
          world.arrived(call);
          let reply;
          switch (kind) {
            case 'api': {
              const token = authorization && authorization.startsWith('Bearer ') ? authorization.slice(7) : null;
              reply = { ...server.api(token), date: server.sendsDate };
              if (world.apiHangs && world.apiHangs(call)) return; // slower than the request's timeout
              break;
            }
            case 'foreign':
              reply = { status: 200, date: true };
              break;
            case 'revoke': {
              const token = call.credentials === 'include' && !tokenIn(body) ? jar.refresh : tokenIn(body);
              call.revoked = server.revoke(token, ctx);
              reply = { status: 200 };
              break;
            }
            case 'refresh': {
              const token = tokenIn(body) || call.cookie || null;
              call.presented = token;
              reply = server.refreshWith(token, plan === 'lost' ? 'rotate' : plan);
              call.reply = reply;
              world.refreshAnswered(call);
              if (plan === 'lost') {
                // Rotated at the server; the answer never arrives (a reset, or silence).
                if (rand.chance(0.5)) return answer(networkError, latency(rand));
                return;
              }
              break;
            }
            default:
              reply = { status: 404 };
          }
          answer(() => {
            if (kind === 'refresh' && reply.status === 200 && reply.issued && call.credentials === 'include' && server.rotates) {
              jar.refresh = reply.issued.refresh; // Set-Cookie, as the answer arrives
            }
            if (kind === 'revoke' && call.credentials === 'include') jar.refresh = null; // the cookie cleared
            world.delivered && world.delivered(call, reply);
            return respond(url, reply);
          }, leg());
        });
      });
    };
  }

  /** The device went offline: the requests still on their way fail (their answers come in the
   * tabs' tasks, as any). */
  const drop = () => {
    for (const d of [...travelling]) d();
    travelling.clear();
  };

  return { fetchFor, jar, drop, refreshOut: (ctx) => refreshOut.get(ctx) || 0 };
}

/** The token a refresh or revocation body carries: JSON `refreshToken`, or the form's field. */
export function tokenIn(body) {
  if (typeof body !== 'string' || body === '') return null;
  if (body.startsWith('{')) {
    try {
      const v = JSON.parse(body);
      return typeof v.refreshToken === 'string' ? v.refreshToken : null;
    } catch {
      return null;
    }
  }
  const form = new URLSearchParams(body);
  return form.get('refresh_token') || form.get('token') || null;
}
