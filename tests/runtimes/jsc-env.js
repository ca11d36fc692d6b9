// What React Native gives an app, for the `jsc` shell of JavaScriptCore, which has none of it:
// console, Headers, Request, AbortController (tests/hermes/fakes.mjs), queueMicrotask, timers with
// real delays, and a `fetch` that reaches the real servers through the parent process.
//
// The bridge: `fetch` prints `@@fetch {id, url, method, headers, body}` and the parent (Node,
// runtimes.test.mjs) sends the request; an abort prints `@@abort {id}`. The event loop below
// runs the microtasks and the due timers, and when it has to wait it prints `@@wait <ms>`: the
// parent answers with one line, a finished response `{id, status, headers, body}` or `{}` once
// <ms> passed. jsc's `readline()` blocks, so this one line is all the I/O there is.
//
// `jsc bundle.js -- wasm2js` deletes WebAssembly before authlane loads (the path Hermes and iOS
// JavaScriptCore take); otherwise instances of WebAssembly.Instance are counted.
import '../hermes/fakes.mjs';

const g = globalThis;
const args = g.arguments || [];
export const engine = { webAssembly: typeof g.WebAssembly === 'object', wasmInstances: 0 };
if (args[0] === 'wasm2js') {
  delete g.WebAssembly;
  engine.webAssembly = false;
} else if (engine.webAssembly) {
  const Instance = g.WebAssembly.Instance;
  g.WebAssembly.Instance = function CountedInstance(module, imports) {
    engine.wasmInstances += 1;
    return new Instance(module, imports);
  };
}

/** JSON with every non-ASCII character escaped: the pipe carries ASCII only. */
const ascii = (value) => JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
const send = (kind, value) => g.print(kind + ' ' + ascii(value));
export const report = (value) => send('RESULT', value);

g.queueMicrotask = (fn) => { Promise.resolve().then(fn); };

// Timers: a list ordered by due time; ids never reused.
const timers = [];
let nextTimer = 1;
const now = () => g.preciseTime() * 1000;
g.setTimeout = (fn, ms, ...rest) => {
  const id = nextTimer++;
  const at = now() + Math.max(0, Number(ms) || 0);
  let i = timers.length;
  while (i > 0 && timers[i - 1].at > at) i--;
  timers.splice(i, 0, { id, at, fn: () => fn(...rest) });
  return id;
};
g.clearTimeout = (id) => {
  const i = timers.findIndex((t) => t.id === id);
  if (i >= 0) timers.splice(i, 1);
};

function Response(status, headers, body) {
  this.status = status;
  this.ok = status >= 200 && status < 300;
  this.statusText = '';
  this.headers = new g.Headers(headers);
  this.body = null;
  this.bodyUsed = false;
  this._text = body;
}
Response.prototype.text = function text() {
  if (this.bodyUsed) return Promise.reject(new TypeError('body used already'));
  this.bodyUsed = true;
  return Promise.resolve(this._text);
};
Response.prototype.json = function json() { return this.text().then(JSON.parse); };
Response.prototype.clone = function clone() {
  const h = {};
  this.headers.forEach((v, k) => { h[k] = v; });
  return new Response(this.status, h, this._text);
};
g.Response = Response;

const pending = new Map(); // id -> { resolve, reject }
let nextFetch = 1;
const abortError = () => { const e = new Error('Aborted'); e.name = 'AbortError'; return e; };
const plainHeaders = (h) => {
  const out = {};
  if (h && typeof h.forEach === 'function') h.forEach((v, k) => { out[k] = v; });
  else if (h) Object.keys(h).forEach((k) => { out[k.toLowerCase()] = String(h[k]); });
  return out;
};
g.fetch = (input, init) => new Promise((resolve, reject) => {
  const i = init || {};
  const request = typeof input === 'string' ? null : input;
  const body = i.body !== undefined ? i.body : request ? request.body : undefined;
  if (body != null && typeof body !== 'string') throw new TypeError('jsc-env fetch: string bodies only');
  const signal = i.signal || (request && request.signal);
  if (signal && signal.aborted) return reject(abortError());
  const id = nextFetch++;
  pending.set(id, { resolve, reject });
  send('@@fetch', {
    id,
    url: request ? request.url : String(input),
    method: i.method || (request ? request.method : 'GET'),
    headers: plainHeaders(i.headers || (request && request.headers)),
    body: body == null ? null : body,
  });
  if (signal) {
    signal.addEventListener('abort', () => {
      if (!pending.delete(id)) return;
      send('@@abort', { id });
      reject(abortError());
    });
  }
});

/**
 * Runs the event loop until `main` settles; returns what is still live then (timers, requests in
 * flight): after dispose() both must be 0, the JSC equivalent of a Node process exiting.
 */
export function runLoop(main) {
  let settled = false;
  main.then(() => { settled = true; }, () => { settled = true; });
  for (;;) {
    g.drainMicrotasks();
    if (settled) break;
    if (timers.length && timers[0].at <= now()) {
      timers.shift().fn();
      continue;
    }
    if (!pending.size && !timers.length) throw new Error('jsc-env: the scenario waits on nothing (no timer, no request)');
    const wait = timers.length ? Math.max(1, Math.ceil(timers[0].at - now())) : 30000;
    if (!pending.size) {
      g.sleepSeconds(wait / 1000);
      continue;
    }
    g.print('@@wait ' + wait);
    const line = g.readline();
    if (!line) throw new Error('jsc-env: the parent closed the pipe');
    const answer = JSON.parse(line);
    const waiting = pending.get(answer.id);
    if (!waiting) continue; // `{}` (time passed) or an aborted request's late answer
    pending.delete(answer.id);
    if (answer.error) waiting.reject(new TypeError('Network request failed'));
    else waiting.resolve(new Response(answer.status, answer.headers, answer.body));
  }
  return { liveTimers: timers.length, requestsInFlight: pending.size };
}
