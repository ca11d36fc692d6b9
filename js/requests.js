// client.fetch: each request is prepared (so that it can be sent twice), handed to the core, and
// sent, delivered or failed as the core says; its response goes back to the core, which judges
// it. The core's lease lets a request go without asking: while it runs, a first send to a URL the
// lease surely covers carries its header, and a response whose status cannot reject the token is
// the answer (the core hears of the first one, and of a Date now and then). The tests here are
// conservative: each "yes" is one the core's own rule gives too (tests/js/lease-fuzz.test.mjs).
import { IN } from './core.js';
import { aborted, discard, prepare, send } from './transport.js';

/** A path the base's origin resolves as the core does: no dot segment, no character a URL
 * parser would encode, drop or read as the start of another host. */
const PLAIN_PATH = /^\/(?![/\\])[\w\-~!$&()*+,;=:@%/?#.]*$/;
const DOT_SEGMENT = /\/\.|%2e/i;

/** `url` resolved as the core would resolve it, when the shell can tell without asking: a plain
 * path against the base's origin (`facts.base`); `undefined` otherwise. */
export function plainUrl(facts, url) {
  return facts.base !== null && PLAIN_PATH.test(url) && !DOT_SEGMENT.test(url) ? facts.base + url : undefined;
}

/** What a URL the lease surely covers starts with: an allowed origin and `/`. */
export const leasePrefixes = (facts) => facts.origins.map((origin) => origin + '/');

/** Whether the lease surely covers a request to the resolved `url` (the core would allow it;
 * anything else asks the core). */
export function leaseCovers(prefixes, url) {
  for (const prefix of prefixes) if (url.startsWith(prefix)) return true;
  return false;
}

/** The fetch path of one client (see the module comment). */
export function requests(run) {
  const { facts } = run;
  const statuses = facts.statuses;
  const prefixes = leasePrefixes(facts);
  const reqs = new Map(); // id -> { prepared, resolve, reject, response }

  const resolveUrl = (url) => plainUrl(facts, url) ?? run.resolve(url);

  /** The request's response as the core needs it. */
  const report = (id, response, lease) => {
    const headers = response.headers;
    const date = Date.parse(headers.get('date') || '');
    const values = [id, response.status, date, lease ? lease.generation : NaN, lease ? lease.failures : NaN];
    const text = `${response.url || ''}\u0000${headers.get('www-authenticate') || ''}\u0000${facts.dpop ? headers.get('dpop-nonce') || '' : ''}`;
    run.feed(IN.response, values, text);
  };

  /** One send of request `r` with `header` (the second when `resend`). */
  const sendOne = (id, r, header, resend, lease, dpop) => {
    r.sending = true;
    send(run.fetchFn, run.timers, r.prepared, facts, header, resend ? 1 : 0, run.allows, dpop).then((response) => {
      r.sending = false;
      if (run.disposed) return finish(id, r, undefined, run.goneError());
      if (r.response) discard(r.response); // the rejected first response nobody will read
      r.response = response;
      if (header === null) return finish(id, r, response);
      if (lease && !statuses.includes(response.status)) return accepted(id, r, response, lease);
      report(id, response, lease);
    }, (error) => {
      r.sending = false;
      finish(id, r, undefined, error);
      if (!lease) run.feed(IN.gone, [id]);
    });
  };

  /** Under the lease, an answer with nothing against the token. */
  const accepted = (id, r, response, lease) => {
    if (!lease.told) {
      lease.told = true;
      run.feed(IN.accepted, [lease.generation]);
    }
    const time = run.now();
    // Due by the device's clock, or that clock was set back since the last one was handed over
    // (a device ahead of the server set right by NTP is what the core must notice).
    if (time >= lease.nextDate || time < lease.nextDate - lease.dateEvery) {
      lease.nextDate = time + lease.dateEvery;
      const date = Date.parse(response.headers.get('date') || '');
      if (date === date) run.feed(IN.dated, [date]);
    }
    finish(id, r, response);
  };

  const finish = (id, r, response, error) => {
    reqs.delete(id);
    if (r.stopWaiting) r.stopWaiting();
    if (error === undefined) r.resolve(response);
    else r.reject(error);
  };

  /** The core's word on a request. */
  const perform = (e) => {
    const id = e[1];
    const r = reqs.get(id);
    if (!r) return;
    switch (e[0]) {
      case 'send':
        return sendOne(id, r, e[2], e[3], null, e[4]);
      case 'pass':
        reqs.delete(id);
        return send(run.fetchFn, run.timers, r.prepared, facts, null, 0, run.allows).then(r.resolve, r.reject);
      case 'deliver':
        return finish(id, r, r.response);
      case 'fail':
        if (r.response) discard(r.response); // the caller gets an error, never this response
        return finish(id, r, undefined, run.error(e[2]));
      case 'ask': {
        const predicate = run.refreshOn;
        return Promise.resolve()
          .then(() => predicate(r.response))
          .then((yes) => Boolean(yes), () => false)
          .then((yes) => run.feed(IN.judged, [id, yes ? 1 : 0]));
      }
      default:
        return undefined;
    }
  };
  run.requests = perform;

  return {
    fetch(input, init) {
      let prepared;
      try {
        prepared = prepare(input, init, resolveUrl);
      } catch (error) {
        return Promise.reject(error);
      }
      const id = run.id();
      return new Promise((resolve, reject) => {
        const r = { prepared, resolve, reject, response: undefined, stopWaiting: null, sending: false };
        reqs.set(id, r);
        // The caller's signal ends a wait for the core; a send in flight aborts by itself.
        const abort = aborted(prepared);
        if (abort !== null) {
          let live = true;
          r.stopWaiting = () => { live = false; };
          abort.then((reason) => {
            if (!live || !reqs.has(id) || r.sending) return;
            finish(id, r, undefined, reason);
            run.feed(IN.gone, [id]);
          });
        }
        const lease = run.lease;
        if (lease !== null && prepared.auth && run.now() < lease.until && leaseCovers(prefixes, prepared.url)) {
          return sendOne(id, r, lease.header, false, lease, null);
        }
        const method = prepared.request !== null ? prepared.request.method : prepared.init.method || 'GET';
        run.feed(IN.request, [id, prepared.auth ? 1 : 0], `${prepared.url}\u0000${method}`);
      });
    },
  };
}
