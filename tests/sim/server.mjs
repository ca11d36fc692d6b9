// The servers of the simulated world, on one origin (https://api.example): the API, which
// answers 200 to an access token it issued that has not expired by its clock nor been revoked,
// and 401 otherwise (or to every token while it "refuses every token": a wrong audience, a
// missing scope); the refresh endpoint, JSON or an OAuth 2.0 token endpoint (RFC 6749 section 6),
// with rotation and reuse detection as Auth0, Okta and Supabase do it (a refresh token presented
// again after rotation revokes its whole family); and the revocation endpoint (RFC 7009: an
// unknown or spent token is answered 200 and changes nothing, the live one is revoked). The
// refresh endpoint follows a queue of plans (rotate by default; definitive, transient, garbage,
// hang, lost, misconfigured, freeze), which the network applies: see network.mjs.
//
// Modelled: the server's clock (its own offset from the device's), `Date` on every response
// (whole seconds, as HTTP has them), JWT `iat`/`exp` in whole seconds, refresh tokens that do or
// do not rotate, a session (family) per login, revocation of access tokens at the server.
// Not modelled: signatures, scopes, several users at once on one family.
import { minter } from './tokens.mjs';

export const API = 'https://api.example';
export const FOREIGN = 'https://other.example';

/** The auth server and API of one run. */
export function authServer({ sched, rand, ttlMs, rotates = true, oauth2 = false }) {
  const mint = minter(rand);
  let nextPair = 1;
  let nextSid = 1;
  const server = {
    ttlMs,
    rotates,
    oauth2,
    /** access token -> { sid, pair, expMs, revoked } */
    access: new Map(),
    /** refresh token -> { sid, pair, state: 'live' | 'spent' | 'revoked', spentAt, spentOrder, successor } (spentOrder: when, in the run's order) */
    refresh: new Map(),
    /** pair -> { access, refresh, sid, exp (s), issuedAt (mono) } */
    pairs: new Map(),
    /** sid -> { user, revoked } */
    families: new Map(),
    /** What the refresh endpoint does next (popped per call by the network). */
    plans: [],
    /** null, or { challenge } while the API refuses every token. */
    refuses: null,
    /** The API's responses carry `Date`. */
    sendsDate: true,
    /** Refresh tokens presented after they were spent: each revoked its family. */
    reuses: [],
    /** Revocations received: { token, wasLive, at }. */
    revocations: [],
    refreshCalls: 0,

    /** Issues a pair in family `sid` (a new family when undefined): issued `ageMs` ago. */
    issue({ sid, user = 1, ttl = ttlMs, ageMs = 0 } = {}) {
      if (sid === undefined) {
        sid = nextSid++;
        server.families.set(sid, { user, revoked: false });
      }
      const pair = nextPair++;
      const a = mint.access({ sid, pair, user: server.families.get(sid).user, iatMs: sched.serverNow() - ageMs, ttlMs: ttl });
      const r = mint.refresh({ sid, pair });
      server.access.set(a.token, { sid, pair, expMs: a.exp * 1000, iatMs: a.iat * 1000, revoked: false });
      server.refresh.set(r, { sid, pair, state: 'live', spentAt: null, successor: null });
      server.pairs.set(pair, { access: a.token, refresh: r, sid, exp: a.exp, claims: a.claims, issuedAt: sched.mono });
      return { access: a.token, refresh: r, pair, sid, exp: a.exp, claims: a.claims };
    },

    /** The live refresh token of family `sid`, if any. */
    liveRefresh(sid) {
      for (const [token, rec] of server.refresh) if (rec.sid === sid && rec.state === 'live') return token;
      return null;
    },

    revokeAllAccess() {
      for (const rec of server.access.values()) rec.revoked = true;
    },

    /** Whether the API accepts `token` now. */
    accepts(token) {
      const rec = server.access.get(token);
      return Boolean(rec && !rec.revoked && sched.serverNow() < rec.expMs);
    },

    /** The API's answer to a request carrying `token` (or none). */
    api(token) {
      if (server.refuses && token) return { status: 401, challenge: server.refuses.challenge };
      if (token && server.accepts(token)) return { status: 200 };
      return { status: 401, challenge: token ? 'Bearer error="invalid_token"' : 'Bearer' };
    },

    /**
     * The refresh endpoint's answer to `token` (the body's, or the cookie's) under `plan`
     * ('rotate', 'definitive', 'transient', 'garbage', 'misconfigured', 'lost'): `{ status,
     * json, retryAfter, issued }`; `issued` is the pair a rotation issued.
     */
    refreshWith(token, plan) {
      server.refreshCalls++;
      const refused = () => (oauth2 ? { status: 400, json: { error: 'invalid_grant', error_description: 'the refresh token is not valid' } } : { status: 401, json: { message: 'invalid refresh token' } });
      const rec = token ? server.refresh.get(token) : undefined;
      if (!rec || server.families.get(rec.sid).revoked) return refused();
      if (rec.state === 'spent') {
        // Reuse detection: the family is revoked, every token of it refused from now on.
        server.reuses.push({ token, at: sched.mono });
        server.families.get(rec.sid).revoked = true;
        for (const r of server.refresh.values()) if (r.sid === rec.sid && r.state === 'live') r.state = 'revoked';
        return refused();
      }
      if (rec.state !== 'live') return refused();
      switch (plan) {
        case 'definitive':
          rec.state = 'revoked';
          return refused();
        case 'transient': {
          const kind = rand.pick(['503', '502', '429', '429date']);
          if (kind === '429') return { status: 429, json: { message: 'slow down' }, retryAfter: String(rand.between(0, 1)) };
          if (kind === '429date') return { status: 429, json: { message: 'slow down' }, retryAfter: new Date(sched.serverNow() + rand.between(0, 2) * 1000).toUTCString() };
          return { status: Number(kind), json: { message: 'unavailable' } };
        }
        case 'garbage':
          return { status: 200, json: { token_type: 'Bearer' } };
        case 'misconfigured':
          return { status: 401, json: { error: 'invalid_client', error_description: 'client authentication failed' } };
        default: {
          // rotate (and lost: the same, then the network loses the answer)
          const issued = server.issue({ sid: rec.sid });
          if (server.rotates) {
            rec.state = 'spent';
            rec.spentAt = sched.mono;
            rec.spentOrder = sched.order();
            rec.successor = issued.refresh;
          } else {
            // Without rotation the old refresh token stays the live one.
            server.refresh.get(issued.refresh).state = 'revoked';
            issued.refresh = token;
            server.pairs.get(issued.pair).refresh = token;
          }
          const json = oauth2
            ? { access_token: issued.access, token_type: 'Bearer', expires_in: Math.round(ttlMs / 1000), ...(server.rotates ? { refresh_token: issued.refresh } : {}) }
            : { accessToken: issued.access, ...(server.rotates ? { refreshToken: issued.refresh } : {}) };
          return { status: 200, json, issued };
        }
      }
    },

    /** The revocation endpoint: `token` (a refresh or an access token). */
    revoke(token, by) {
      const rec = server.refresh.get(token);
      const entry = { token, by, at: sched.mono, wasLive: Boolean(rec && rec.state === 'live'), spent: Boolean(rec && rec.state === 'spent') };
      server.revocations.push(entry);
      if (rec && rec.state === 'live') rec.state = 'revoked';
      const a = server.access.get(token);
      if (a) a.revoked = true;
      return entry;
    },
  };
  return server;
}
