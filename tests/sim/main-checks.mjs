// The main simulation's model of its client and the checks made as things happen: every send
// (foreign origins, the token held, nothing while the refresh call is out, no expired token when
// the client could know the server's time, at most two sends, the same method and body), every
// refresh call (one at a time, the pair issued together, cookie mode's credentials), every
// storage call (nothing written after logout(), nothing removed unless the session ended, cookie
// mode never touches the refresh token's key) and every sessionExpired (a definitive refusal, or
// a session without a refresh token).
//
// When the client could know the server's time: its clock was right and never set (a device
// that sleeps moves both clocks), or since the last change it got a token with `iat` (a login, or
// a refresh whose call did not span a sleep: one that did teaches a clock off by the sleep), or
// two `Date`s of the API at least 1.1 s apart (the core takes a `Date` that disagrees with an
// `iat` only when a second one agrees, and the shell hands one over per second).
import { API } from './server.mjs';
import { note } from './observe.mjs';
import { claimsOf, alias } from './tokens.mjs';
import { tokenIn } from './network.mjs';

export const KEY = { access: 'authlane.accessToken', refresh: 'authlane.refreshToken', pending: 'authlane.pendingRevocations' };

/**
 * The checks of client `ctx` (see the module comment): `{ m, clockKnown, world, observe, onAction }`;
 * `world` is the network's observer, `observe` the storage's, `onAction` the observer's hook.
 */
export function mainChecks({ CTX, sched, rand, server, cookie, oauth2, connected, obs, violation, count, sessionNow, reqs, net }) {
  // The client as the world knows it.
  const m = {
    loggedOut: false, // between logout() and the next login(): nothing may be written
    removalAllowed: false, // a logout or a definitive refusal since the session began
    hasRefresh: true, // the session has a refresh token (or a cookie)
    // A session without a refresh token began since the last sessionExpired (its expiry may be
    // announced after a newer login: the removal it waits for was queued first).
    sawNoRefresh: false,
    // Evidence about the clock, in the order things happened (a counter, not a time: a change and
    // a login can happen in the same millisecond).
    order: 1,
    clockChangedAt: sched.serverOffset === 0 ? null : 0, // the last device-only clock change (or a wrong clock from the start)
    freshAt: -1, // the last token with `iat` that reached the core
    datesAfterChange: [], // device times of API `Date`s the shell got after the last change
    refreshCalls: 0,
    logins: 0,
    disturbedAt: -Infinity, // the last sleep or device clock change: timers count monotonic time
    sleeps: 0,
    revokes: [], // what each logout() of a session must revoke
    // Kept revocations that reached the server: one whose answer was lost (a timeout) goes again,
    // and revocation is idempotent (RFC 7009), so a second arrival is no fault.
    keptArrived: new Set(),
    offline: false, // the device is offline (the network fails every fetch)
    answersSinceOffline: 0, // refresh answers that arrived while offline (already on their way)
    offlineEpisodes: 0, // times the device went offline
    kept: [], // revocations of logouts made offline (with connectivity): they must go out once online
  };
  const clockKnown = () => {
    if (m.clockChangedAt === null) return true;
    if (m.freshAt >= m.clockChangedAt) return true;
    const d = m.datesAfterChange;
    return d.length >= 2 && d[d.length - 1] - d[0] >= 1_100;
  };

  const world = {
    slow: 0.05,
    freezeMs: () => 0,
    apiHangs: () => rand.chance(0.01),
    sent(call) {
      note(`send ${call.kind} ${call.url.replace(API, '')}${call.authorization ? ' ' + call.authorization : ''}${call.plan ? ' plan ' + call.plan : ''}${call.body ? ' ' + call.body : ''}`);
      if (call.kind === 'api' || call.kind === 'foreign') return sentRequest(call);
      if (call.kind === 'refresh') return sentRefresh(call);
      if (call.kind === 'revoke') return sentRevoke(call);
      violation(`a request went to ${call.url}`);
      return undefined;
    },
    ended() {},
    /** A revocation reaching the server: the one a logout() owed (a kept one once, never twice). */
    arrived(call) {
      if (call.kind !== 'revoke') return;
      const sent = cookie ? null : tokenIn(call.body);
      const at = m.revokes.indexOf(sent);
      if (at < 0 && m.keptArrived.has(sent)) return undefined;
      if (at < 0) return violation(`a revocation of ${alias(sent) || 'the cookie'} reached the server, which no logout() owed (${m.revokes.map(alias).join(', ') || 'none'})`);
      m.revokes.splice(at, 1);
      const k = m.kept.indexOf(sent);
      if (k >= 0) m.kept.splice(k, 1);
      if (k >= 0) m.keptArrived.add(sent);
    },
    offline: () => m.offline,
    /** A fetch made offline fails at once; a refresh call made so is an attempt all the same. */
    offlineSend(call) {
      note(`offline: send ${call.kind} ${call.url.replace(API, '')} fails`);
      if (call.kind !== 'refresh') return;
      m.refreshCalls++;
      if (connected) violation('a refresh call while the client knew the device was offline');
    },
    refreshAnswered(call) {
      note(`server: refresh with ${call.presented ? alias(call.presented) : 'nothing'} -> ${call.reply.status}${call.reply.issued ? ' pair ' + call.reply.issued.pair : ''}`);
    },
    delivered(call, reply) {
      if (call.kind === 'refresh' && m.offline) m.answersSinceOffline++;
      // A refusal that reached the client ends the session once its tokens are removed, which
      // may finish after the device went offline.
      // (So does an API's 401 for a session without a refresh token.)
      if (call.kind === 'refresh' && reply.status >= 400 && reply.status < 500 && reply.status !== 429) m.refusalHeard = true;
      if (call.kind === 'api' && reply.status === 401) m.refusalHeard = true;
      if (call.kind === 'refresh') {
        if (reply.status === 200 && reply.issued) {
          if (call.sleepsAtSend === m.sleeps) m.freshAt = m.order++;
          else {
            // The device slept while the call was out: the token's `iat` is hours before its
            // arrival, and an offset learned from it is off by the sleep (nothing tells the client).
            m.clockChangedAt = m.order++;
            m.datesAfterChange = [];
          }
          // A token that arrives already expired (the device slept with the call out) is sent
          // as it is: the server judges it (API.md: never a refresh loop on a clock).
          const rec = server.access.get(reply.issued.access);
          if (sched.serverNow() >= rec.expMs) rec.deadOnArrival = true;
        }
        if (isDefinitive(reply)) {
          m.removalAllowed = true;
          obs.refusals++;
        }
      }
      if (call.kind === 'api' && call.authorization && server.sendsDate && m.clockChangedAt !== null) {
        m.datesAfterChange.push(sched.deviceNow());
      }
    },
  };
  const isDefinitive = (reply) => (reply.status === 400 || reply.status === 401 || reply.status === 403)
    && (!oauth2 || (reply.json && reply.json.error === 'invalid_grant'));

  function sentRequest(call) {
    const id = Number(/\/(\d+)$/.exec(call.url)?.[1]);
    const r = reqs.get(id);
    if (!r) return violation(`a request nobody made went out: ${call.url}`);
    r.sends++;
    if (r.sends > 2) violation(`request ${id} was sent ${r.sends} times`);
    if (call.method !== r.method || call.body !== r.body) violation(`request ${id} went out as ${call.method} ${call.body}, made as ${r.method} ${r.body}`);
    if (call.kind === 'foreign') {
      count('foreign');
      if (call.authorization) violation(`request ${id} to another origin carried ${alias(call.authorization)}`);
      if (sched.ran !== r.madeIn) violation(`request ${id} to another origin waited before it was sent`);
      return;
    }
    if (!call.authorization) {
      if (r.sends > 1) violation(`request ${id} was sent again without a token`);
      return;
    }
    const token = call.authorization.replace(/^Bearer /, '');
    if (r.sends === 2 && r.firstToken === token) violation(`request ${id} was sent again with the token it was rejected with`);
    r.firstToken = r.firstToken || token;
    const s = sessionNow();
    const claims = claimsOf(token);
    if (!s.claims || s.claims.pair !== claims.pair) {
      violation(`request ${id} carried ${alias(token)}, the client holds ${s.claims ? 'A' + s.claims.pair : 'none'}`);
    }
    if (net().refreshOut(CTX) > 0) violation(`request ${id} carried ${alias(token)} while the client's refresh call was out`);
    const rec = server.access.get(token);
    const late = sched.serverNow() - rec.expMs;
    count('tokenSends');
    if (r.sends === 2) count('resends');
    if (clockKnown()) {
      count('knownClockSends');
      if (late > -5_000) count('nearExpirySends');
    }
    if (late >= 0 && m.hasRefresh && clockKnown() && !rec.deadOnArrival) {
      violation(`request ${id} carried ${alias(token)}, expired ${late} ms ago by the server's clock, which the client could know (a refresh ${cookie ? 'cookie' : 'token'} was there)`);
    }
  }

  /** A logout()'s revocation: the refresh token of the session it ended (its access token
   * without one; in cookie mode the cookie's, with credentials). */
  function sentRevoke(call) {
    // Kept revocations go out once online, maybe after a later logout's: any order; one that never
    // reached the server (the network went away) goes again. Each is owed until it arrives.
    const sent = cookie ? null : tokenIn(call.body);
    if (cookie) {
      if (call.credentials !== 'include' || tokenIn(call.body)) violation('cookie mode: the revocation went without credentials, or with a token');
      if (m.revokes.length === 0 && !m.keptArrived.has(null)) violation('a revocation without a logout() of a session');
      return undefined;
    }
    if (!m.revokes.includes(sent) && !m.keptArrived.has(sent)) violation(`logout() revoked ${alias(sent)}, no session it ended held it (${m.revokes.map(alias).join(', ') || 'none'})`);
    return undefined;
  }

  function sentRefresh(call) {
    m.refreshCalls++;
    count(`refresh:${call.plan}`);
    call.sleepsAtSend = m.sleeps;
    if (net().refreshOut(CTX) > 0) violation('a second refresh call while one was out');
    if (cookie) {
      if (call.credentials !== 'include') violation('cookie mode: the refresh call went without credentials');
      if (call.body && /rt_/.test(call.body)) violation('cookie mode: the refresh call carried a refresh token');
      return;
    }
    const presented = tokenIn(call.body);
    const s = sessionNow();
    if (s.claims) {
      const pair = server.pairs.get(s.claims.pair);
      if (pair && presented !== pair.refresh) violation(`the refresh call presented ${alias(presented)}, the client holds A${s.claims.pair} (issued with ${alias(pair.refresh)})`);
    }
  }

  const observe = (op, key, value) => {
    if (key === KEY.pending) {
      // The revocations kept offline: written by a logout (after it removed the tokens), removed
      // once sent; it holds no session.
      if (op !== 'get') note(`storage ${op} ${key}`);
      return;
    }
    if (cookie && key === KEY.refresh) violation(`cookie mode: storage ${op} of the refresh token's key`);
    if (op === 'set' && m.loggedOut) violation(`${key} written after logout()`);
    if (op === 'remove' && !m.removalAllowed) violation(`${key} removed, though no logout or definitive refusal ended the session`);
    if (op !== 'get') note(`storage ${op} ${key}${value ? ' ' + value : ''}`);
  };

  const onAction = (a) => {
    note(`action ${a.type.slice(9)} ${JSON.stringify(a.payload).slice(0, 120)}`);
    if (a.type === 'authlane/sessionExpired') {
      const reason = a.payload.reason;
      count(`sessionExpired:${reason}`);
      const ok = reason === 'refresh_rejected' || reason === 'lost_rotation' ? obs.refusals > 0
        : reason === 'no_refresh_token' || reason === 'access_rejected' ? m.sawNoRefresh
          : false;
      if (reason === 'no_refresh_token' || reason === 'access_rejected') m.sawNoRefresh = !m.hasRefresh;
      if (!ok) violation(`sessionExpired (${reason}) without a definitive refusal of the refresh token (a transient failure ended the session?)`);
      // Nothing ends a session offline but a refusal already on its way back (or a refresh with
      // no refresh token to present, which asks nothing of the network).
      if (connected && m.offline && reason !== 'no_refresh_token' && m.answersSinceOffline === 0 && !m.refusalHeard) violation(`sessionExpired (${reason}) while the client knew the device was offline`);
      m.refusalHeard = false;
    }
  };

  return { m, clockKnown, world, observe, onAction };
}
