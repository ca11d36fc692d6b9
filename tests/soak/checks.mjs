// What a soak run must show, judged from what the user and the real server saw: how each request
// settled, the lifecycle actions, the server's request log and the tokens it minted, and the wasm
// memory readings. `judge` returns the run's figures and a list of violations (empty: it held).

/** Outcomes a request may end with under refresh faults (API.md): a 200; REFRESH_FAILED (a
 *  transient refresh failure after all retries rejects the held requests with it); or a 401
 *  when the resend was rejected too ("a second rejection is returned to the caller as the
 *  response it is"; checked below to be exactly that). */
const ALLOWED = new Set([200, 401, 'REFRESH_FAILED']);

const countBy = (xs) => xs.reduce((m, x) => ({ ...m, [x]: (m[x] || 0) + 1 }), {});

/**
 * @param {object} run { params, server, results: [{ id, outcome, ms }], actions, memory: [{ done, bytes }],
 *   faults: { [callNumber]: mode }, startedAt, endedAt }
 */
export function judge({ params, server, results, actions, memory, faults, startedAt, endedAt }) {
  const violations = [];
  const fail = (what) => { if (violations.length < 50) violations.push(what); };
  const elapsedMs = endedAt - startedAt;

  // 1. Every request settled, within its deadline, with an allowed outcome.
  const outcomes = countBy(results.map((r) => r.outcome));
  if (results.length !== params.requests) fail(`${results.length} of ${params.requests} requests settled`);
  for (const r of results) {
    if (!ALLOWED.has(r.outcome)) fail(`request ${r.id} ended with ${r.outcome} after ${r.ms} ms`);
  }

  // 2. The session survived: no sessionExpired, no definitive failure, refresh flights one at a time.
  const types = actions.map((a) => a.type.replace('authlane/', ''));
  for (const bad of ['sessionExpired', 'loggedOut']) {
    if (types.includes(bad)) fail(`a ${bad} action was dispatched`);
  }
  let open = false;
  for (const a of actions) {
    const type = a.type.replace('authlane/', '');
    if (type === 'refreshStarted') {
      if (open) fail('a refresh started while another was in flight');
      open = true;
    } else if (type === 'refreshSucceeded' || type === 'refreshFailed') {
      if (!open) fail(`${type} without a refresh in flight`);
      open = false;
      if (type === 'refreshFailed' && (a.payload.code !== 'REFRESH_FAILED' || a.payload.transient !== true)) {
        fail(`refreshFailed with ${JSON.stringify(a.payload)}`);
      }
    }
  }
  const failedFlights = types.filter((t) => t === 'refreshFailed').length;
  if ((outcomes.REFRESH_FAILED || 0) > 0 && failedFlights === 0) fail('REFRESH_FAILED outcomes without a failed refresh');

  // 3. Refresh calls. Every call the server got either met an injected fault or minted a token.
  // The client refreshes a token once half its life L is left (the leeway is capped at half a
  // short token's life) or when the API rejects it as expired; iat is whole seconds. So for
  // L >= 2 each minted token's iat is at least floor(L/2) s after the one before (its refresh
  // waited for iat + L/2), and for L = 1 a token minted in the second half of its second is
  // already inside its leeway and is used until it expires: at most two per second. That makes
  // the successful calls at most elapsed / P + 2, P = floor(L/2) s (L/2 for L = 1), and every
  // call at most that plus the faulty ones (each fault costs one more call: a retry, or the next
  // request's new try). The per-call check below (no call before half the life) backs this.
  const refreshLog = server.refreshLog();
  const faultCount = Object.keys(faults).length;
  const minted = server.issued.length - 1; // the first pair came from issueTokens (the login)
  const successes = refreshLog.length - faultCount;
  const periodMs = (params.ttl < 2 ? params.ttl / 2 : Math.floor(params.ttl / 2)) * 1000;
  const periods = Math.floor(elapsedMs / periodMs) + 2;
  if (successes !== minted) fail(`${successes} fault-free refresh calls but ${minted} tokens minted by refresh`);
  if (successes > periods) fail(`${successes} successful refreshes in ${elapsedMs} ms: more than ${periods} half-lifetime periods`);
  if (refreshLog.length > periods + faultCount) fail(`${refreshLog.length} refresh calls > ${periods} periods + ${faultCount} faults`);
  if (server.reuseDetected > 0) fail(`the server detected ${server.reuseDetected} refresh token reuse(s)`);
  // No call before it was due: the newest token had less than half its life left. Calls are
  // numbered in arrival order and only fault-free ones mint, so the newest token before call n
  // is issued[number of fault-free calls before n].
  const issued = server.issued;
  let k = 0;
  refreshLog.forEach((call, i) => {
    const due = (issued[k].iat + (issued[k].exp - issued[k].iat) / 2) * 1000;
    if (call.at < due - 5) fail(`refresh call ${i + 1} came ${due - call.at} ms before the token had half its life left`);
    if (!(i + 1 in faults)) k++;
  });

  // 4. Tokens on the wire (server log): every attempt carries a token the server minted, at most
  // one generation behind the newest minted when it arrived; an expired one only on a first
  // attempt, which is then sent again once with a newer token (the request that discovers
  // expiry). No request is sent more than twice.
  const index = new Map(issued.map((p, i) => [`Bearer ${p.accessToken}`, i]));
  const attempts = new Map();
  let newest = 0;
  let maxLag = 0;
  for (const e of server.apiLog('/api/soak')) {
    const id = Number(new URL(e.url, 'http://x').searchParams.get('id'));
    if (!attempts.has(id)) attempts.set(id, []);
    attempts.get(id).push(e);
    while (newest + 1 < issued.length && issued[newest + 1].at <= e.at) newest++;
    const carried = index.get(e.auth);
    if (carried === undefined) { fail(`request ${id} carried ${e.auth === null ? 'no token' : 'an unknown token'}`); continue; }
    maxLag = Math.max(maxLag, newest - carried);
    if (newest - carried > 1) fail(`request ${id} carried a token ${newest - carried} generations old`);
    if (e.tokenState !== 'valid' && e.tokenState !== 'expired') fail(`request ${id}: token ${e.tokenState}`);
  }
  let discoveries = 0;
  let secondRejections = 0;
  const byId = new Map(results.map((r) => [r.id, r]));
  for (const [id, sent] of attempts) {
    if (sent.length > 2) fail(`request ${id} was sent ${sent.length} times`);
    if (sent[0].tokenState === 'expired') discoveries++;
    if (sent.length === 2 && !(index.get(sent[1].auth) > index.get(sent[0].auth))) fail(`request ${id} was resent with the same token`);
    if (sent.length === 2 && sent[0].tokenState === 'valid') fail(`request ${id} was resent after a 200`);
    if (byId.get(id)?.outcome === 200 && sent.at(-1).tokenState !== 'valid') fail(`request ${id}: 200 but its last send was rejected`);
    if (byId.get(id)?.outcome === 401) {
      secondRejections++;
      if (sent.length !== 2 || sent.some((e) => e.tokenState === 'valid')) fail(`request ${id}: 401 but not after two rejected sends`);
    }
  }

  // 5. The wasm memory is flat after warm-up (the first quarter): it only grows in 64 KiB pages,
  // so anything kept per request shows as growth over the remaining three quarters.
  const quarter = Math.ceil(params.requests / 4);
  const first = Math.max(...memory.filter((m) => m.done <= quarter).map((m) => m.bytes));
  const last = Math.max(...memory.filter((m) => m.done > params.requests - quarter).map((m) => m.bytes));
  if (last > first + params.memorySlackBytes) fail(`wasm memory grew from ${first} to ${last} bytes after warm-up`);

  const figures = {
    requests: results.length,
    concurrency: params.concurrency,
    accessTtlSeconds: params.ttl,
    elapsedMs,
    requestsPerSecond: Math.round((results.length / elapsedMs) * 1000),
    outcomes,
    slowestMs: Math.max(...results.map((r) => r.ms)),
    apiSends: server.apiLog('/api/soak').length,
    expiryDiscoveredByRejection: discoveries,
    resendAlsoRejected: secondRejections,
    maxTokenLag: maxLag,
    refreshCalls: refreshLog.length,
    refreshSuccesses: successes,
    refreshBound: { periodMs, periods, faults: faultCount, max: periods + faultCount },
    faultsByMode: countBy(Object.values(faults).map(String)),
    refreshFlightsFailed: failedFlights,
    actions: countBy(types),
    wasmMemoryBytes: { firstQuarterMax: first, lastQuarterMax: last, final: memory.at(-1).bytes },
  };
  return { figures, violations };
}
