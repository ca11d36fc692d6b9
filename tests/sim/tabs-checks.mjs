// The tabs simulation's checks made as things happen: every send (the token its tab holds, not
// while its refresh call is out, never expired while the clock is right, at most two sends),
// every refresh call (one a tab at a time; the pair issued together; no reuse that the tab could
// have avoided), every revocation (the refresh token the tab's storage held), every storage write
// (none after a logout() until a login()), and after every task the news: a tab holds what
// reached its storage at least NEWS_MS ago, or something newer. And at the end: every tab holds
// what storage holds.
//
// A reuse the tab could have avoided: at its call, the other tab's write of the new pair had
// reached its storage, or a "tokens"/"login" message posted after the rotation had reached it (a
// message posted before the rotation, however late it arrives, cannot tell of it).
// Otherwise no client can know its refresh token was spent (an uncontended lock taken between
// another tab's release and its write's arrival): counted as `unavoidableReuse`, not a failure.
import { API } from './server.mjs';
import { tokenIn } from './network.mjs';
import { note, coreSession } from './observe.mjs';
import { claimsOf, alias } from './tokens.mjs';

export const KEY = { access: 'authlane.accessToken', refresh: 'authlane.refreshToken' };
/** Another tab's news is taken within this long of reaching a tab's storage (API.md). */
export const NEWS_MS = 1_000;
/** How long a logout holds the call lock after its removal (the core's SETTLE_MS). */
const HOLD_MS = 250;

/** The checks of one run (see the module comment). */
export function tabsChecks({ sched, rand, server, oauth2, violation, count, tabOf, reqs, store, net, lockTimeoutMs }) {
  // The world's record.
  const w = {
    reusesSeen: 0,
    // logout()s of a session since the last login() call, { by, removed }: once one removed
    // the session, no tokens may be written (until a login()).
    logouts: [],
    refusals: 0, // definitive refusals the server gave
    sleeps: 0,
    corruptClock: new Set(), // tabs whose clock learned from a token that arrived across a sleep
  };
  const heard = new Map(); // tab -> when (sched.order()) the news of tokens it got from another tab was posted

  /** The shared store's observer of every write. */
  function onWrite(write) {
    note(`storage ${write.by}: ${write.value === null ? 'remove' : 'set'} ${write.key}${write.value ? ' ' + write.value : ''}`);
    if (write.value === null && write.key === KEY.access) {
      const logout = w.logouts.find((l) => l.by === write.by && !l.removed);
      if (logout) Object.assign(logout, { removed: true, removedAt: sched.mono });
      // What the tab reads after its removal is no longer what its logout() revokes.
      const t = tabOf(write.by);
      for (const entry of (t && t.logoutReads) || []) entry.open = false;
    }
    const removed = w.logouts.find((l) => l.removed);
    if (write.value !== null && removed && removed.cut) count('cutHolds');
    else if (write.value !== null && removed) {
      violation(`${write.by} wrote ${write.key} (${alias(write.value)}) after ${removed.by}'s logout() removed the session, with no login() since`);
    }
  }

  /** A tab reloads: a logout's hold on the call lock ends with the page. */
  function onReload(name) {
    for (const l of w.logouts) if (l.by === name && l.removed && sched.mono < l.removedAt + HOLD_MS) l.cut = true;
  }

  /** The channels' observer of every delivery. */
  function onDeliver(from, to, data, posted) {
    note(`message ${from} -> ${to}: ${data}`);
    if (!/^(tokens|login) /.test(data)) return;
    (heard.get(to) || heard.set(to, []).get(to)).push(posted);
    // The message overtook the write it announces (the sender's last access write).
    const written = store().latest(KEY.access);
    if (written && written.by === from && store().arrival(written, to) > sched.mono) count('overtakingMessages');
  }

  /** A tab's storage calls: reads that see a new refresh token before its access token. */
  function onStorage(ctx, op, key) {
    if (op !== 'get' || key !== KEY.refresh) return;
    // What a tab that logs out reads may be what its logout() revokes.
    const t = tabOf(ctx);
    const seen = store().seen(KEY.refresh, ctx);
    for (const entry of (t && t.logoutReads) || []) if (entry.open) entry.values.add(seen && seen.value !== null ? seen.value : null);
    const r = store().seen(KEY.refresh, ctx);
    const a = store().latest(KEY.access);
    if (r && a && r.by !== ctx && a.by === r.by && a.seq === r.seq + 1 && store().arrival(a, ctx) > sched.mono) count('splitReads');
  }

  const world = {
    slow: 0.03,
    refreshLegMs: 400, // each way: an answer always beats the 1 s refresh timeout (no lost rotations)
    freezeMs: () => rand.between(lockTimeoutMs + 500, 2 * lockTimeoutMs + 2_000),
    sent(call) {
      note(`send ${call.ctx} ${call.kind} ${call.url.replace(API, '')}${call.authorization ? ' ' + call.authorization : ''}${call.plan ? ' plan ' + call.plan : ''}${call.body ? ' ' + call.body : ''}`);
      if (call.kind === 'api' || call.kind === 'foreign') return sentRequest(call);
      if (call.kind === 'refresh') return sentRefresh(call);
      if (call.kind === 'revoke') return undefined;
      violation(`a request went to ${call.url}`);
      return undefined;
    },
    ended() {},
    arrived() {},
    refreshAnswered(call) {
      const reply = call.reply;
      note(`server: ${call.ctx}'s refresh with ${call.presented ? alias(call.presented) : 'nothing'} -> ${reply.status}${reply.issued ? ' pair ' + reply.issued.pair : ''}`);
      if (server.reuses.length > w.reusesSeen) {
        w.reusesSeen = server.reuses.length;
        if (call.spentAtSend === undefined) {
          violation(`${call.ctx} presented ${alias(call.presented)} while another tab's call with it was out: two tabs refreshed at once, the server detected a reuse`);
        } else if (call.couldKnow) {
          violation(`${call.ctx} presented ${alias(call.presented)}, spent by rotation ${((call.at - call.spentAtSend) / 1000).toFixed(3)} s before, after news of the new pair had reached it (${call.couldKnow}): the server detected a reuse`);
        } else {
          // Neither the other tab's write nor its message had reached this tab: no client can
          // know (the world's limit, counted).
          count('unavoidableReuse');
        }
      }
    },
    delivered(call, reply) {
      const t = tabOf(call.ctx);
      if (call.kind === 'refresh' && t) {
        if (isDefinitive(reply)) {
          w.refusals++;
          t.obs.refusals++;
        }
        if (reply.status === 200 && reply.issued) {
          const rec = server.access.get(reply.issued.access);
          if (call.sleepsAtSend !== w.sleeps) w.corruptClock.add(call.ctx);
          else w.corruptClock.delete(call.ctx);
          if (sched.serverNow() >= rec.expMs) rec.deadOnArrival = true;
        }
      }
      if (call.kind === 'revoke') revoked(call);
    },
  };
  const isDefinitive = (reply) => (reply.status === 400 || reply.status === 401 || reply.status === 403)
    && (!oauth2 || (reply.json && reply.json.error === 'invalid_grant'));

  function sentRequest(call) {
    const id = Number(/\/(\d+)$/.exec(call.url)?.[1]);
    const r = reqs.get(id);
    if (!r) return violation(`a request nobody made went out: ${call.url}`);
    if (r.tab !== call.ctx) violation(`request ${id} of ${r.tab} was sent by ${call.ctx}`);
    r.sends++;
    if (r.sends > 2) violation(`request ${id} was sent ${r.sends} times`);
    if (call.method !== r.method || call.body !== r.body) violation(`request ${id} went out as ${call.method} ${call.body}, made as ${r.method} ${r.body}`);
    if (call.kind === 'foreign') {
      if (call.authorization) violation(`request ${id} to another origin carried ${alias(call.authorization)}`);
      return undefined;
    }
    if (!call.authorization) return undefined;
    count('tokenSends');
    const token = call.authorization.replace(/^Bearer /, '');
    if (r.sends === 2 && r.firstToken === token) violation(`request ${id} was sent again with the token it was rejected with`);
    r.firstToken = r.firstToken || token;
    const s = coreSession(call.ctx);
    const pair = claimsOf(token).pair;
    if (!s || !s.claims || s.claims.pair !== pair) violation(`${call.ctx}'s request ${id} carried A${pair}, the tab holds ${s && s.claims ? 'A' + s.claims.pair : 'none'}`);
    if (net().refreshOut(call.ctx) > 0) violation(`${call.ctx}'s request ${id} carried A${pair} while the tab's refresh call was out`);
    const rec = server.access.get(token);
    const late = sched.serverNow() - rec.expMs;
    if (late >= 0 && !rec.deadOnArrival && !w.corruptClock.has(call.ctx) && tabOf(call.ctx).holdsRefresh()) {
      violation(`${call.ctx}'s request ${id} carried A${pair}, expired ${late} ms ago (the clock is right, a refresh token was there)`);
    }
    return undefined;
  }

  function sentRefresh(call) {
    count(`refresh:${call.plan}`);
    if (call.plan === 'freeze') count('frozenCalls');
    call.sleepsAtSend = w.sleeps;
    const rec = call.body ? server.refresh.get(tokenIn(call.body)) : undefined;
    if (rec && rec.state === 'spent') {
      call.spentAtSend = rec.spentAt;
      const written = store().lastWriteOf(KEY.refresh, rec.successor);
      if (written && store().arrival(written, call.ctx) <= sched.mono) call.couldKnow = 'its write';
      else if ((heard.get(call.ctx) || []).some((posted) => posted > rec.spentOrder)) call.couldKnow = 'a message';
    }
    if (net().refreshOut(call.ctx) > 0) violation(`${call.ctx}: a second refresh call while one was out`);
    const presented = tokenIn(call.body);
    // A tab reads storage right before its call: it presents the refresh token there, if any.
    const there = store().seen(KEY.refresh, call.ctx);
    if (there && there.value !== null && presented !== there.value) violation(`${call.ctx}'s refresh call presented ${alias(presented)}, its storage holds ${alias(there.value)}`);
    const s = coreSession(call.ctx);
    if (s && s.claims) {
      const pair = server.pairs.get(s.claims.pair);
      if (pair && presented !== pair.refresh) violation(`${call.ctx}'s refresh call presented ${alias(presented)}, the tab holds A${s.claims.pair} (issued with ${alias(pair.refresh)})`);
    }
  }

  function revoked(call) {
    const entry = call.revoked;
    const t = tabOf(call.ctx);
    note(`server: ${call.ctx} revoked ${alias(entry.token)}${entry.wasLive ? ' (live)' : entry.spent ? ' (spent)' : ''}`);
    if (entry.wasLive) count('revokedLive');
    if (!t) return;
    // Revocations of one tab may arrive in any order: each must be of a token its storage held
    // when it logged out (or showed it while it did).
    const at = t.logoutReads.findIndex((e) => e.values.has(entry.token));
    const held = t.logoutReads.flatMap((e) => [...e.values]).filter((r) => r !== null);
    if (at >= 0) t.logoutReads.splice(at, 1);
    else if (held.length > 0) {
      violation(`${call.ctx}'s logout() revoked ${alias(entry.token)}${entry.spent ? ' (spent by rotation)' : ''}, its storage held ${held.map(alias).join(' or ')} when it logged out`);
    }
  }

  /** After a task: tab `t` (awake, holding `held`) took every news that reached it in time. */
  function news(t, held) {
    if (sched.isFrozen(t.name)) return;
    const latest = store().seen(KEY.access, t.name);
    if (!latest || latest.by === t.name || latest.by === null) return;
    const since = Math.max(store().arrival(latest, t.name), sched.frozen.get(t.name) || 0, t.openedAt || 0);
    if (sched.mono < since + NEWS_MS) return;
    const want = latest.value === null ? null : claimsOf(latest.value).pair;
    const has = held && held.claims ? held.claims.pair : null;
    // A logout of its own that has not removed the tokens yet (it waits for the call lock) is newer.
    if (has === null && t.loggingOut > 0) return;
    // What the tab holds may be newer than its storage shows (a message overtook the write).
    const mine = store().lastWriteOf(KEY.access, has === null ? null : server.pairs.get(has).access);
    if ((!mine || mine.seq < latest.seq) && t.lateNews !== latest.seq) {
      t.lateNews = latest.seq;
      violation(`${t.name} holds ${has === null ? 'no session' : 'A' + has} ${((sched.mono - since) / 1000).toFixed(3)} s after ${latest.by}'s ${want === null ? 'removal' : 'A' + want} reached its storage`);
    }
  }

  /** At the end: every tab (of `live`) holds what storage holds, and its actions say so. */
  function atEnd(live) {
  // Every tab holds what storage holds, and its actions say so.
  const last = store().latest(KEY.access);
  const want = last && last.value !== null ? claimsOf(last.value).pair : null;
  for (const t of live) {
    const s = coreSession(t.name);
    const has = s && s.claims ? s.claims.pair : null;
    if (has !== want) violation(`at the end ${t.name} holds ${has === null ? 'no session' : 'A' + has}, storage ${want === null ? 'none' : 'A' + want}`);
    t.obs.agrees(t.client.session());
  }
  const refresh = store().latest(KEY.refresh);
  if (last && last.value !== null && server.pairs.get(want) && (!refresh || refresh.value !== server.pairs.get(want).refresh)) {
    violation(`at the end storage holds A${want} with ${refresh && refresh.value ? alias(refresh.value) : 'no refresh token'}, not the refresh token issued with it`);
  }
  }

  return { w, world, onWrite, onReload, onDeliver, onStorage, news, atEnd };
}
