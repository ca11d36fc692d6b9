// Minimal Headers, Request, AbortController and console for the Hermes command-line VM, which
// lacks them (React Native provides them through whatwg-fetch and its own globals). Installed
// only where missing, so Node keeps its real ones.
const g = globalThis;

if (typeof g.console === 'undefined') {
  const out = (...args) => g.print(args.map(String).join(' '));
  g.console = { log: out, info: out, warn: out, error: out, debug: out };
}

if (typeof g.Headers === 'undefined') {
  g.Headers = function Headers(init) {
    this.map = new Map();
    if (init && typeof init.forEach === 'function' && !Array.isArray(init)) init.forEach((v, k) => this.set(k, v));
    else if (init) Object.keys(init).forEach((k) => this.set(k, init[k]));
  };
  g.Headers.prototype.get = function get(k) { const v = this.map.get(String(k).toLowerCase()); return v === undefined ? null : v; };
  g.Headers.prototype.set = function set(k, v) { this.map.set(String(k).toLowerCase(), String(v)); };
  g.Headers.prototype.has = function has(k) { return this.map.has(String(k).toLowerCase()); };
  g.Headers.prototype.forEach = function forEach(fn) { this.map.forEach((v, k) => fn(v, k, this)); };
}

if (typeof g.Request === 'undefined') {
  g.Request = function Request(input, init) {
    const from = typeof input === 'string' ? null : input;
    const i = init || {};
    this.url = from ? from.url : String(input);
    this.method = i.method || (from ? from.method : 'GET');
    this.headers = new g.Headers(i.headers || (from ? from.headers : undefined));
    this.body = i.body !== undefined ? i.body : from ? from.body : null;
    this.signal = i.signal || (from ? from.signal : null);
  };
  g.Request.prototype.clone = function clone() { return new g.Request(this); };
}

if (typeof g.AbortController === 'undefined') {
  g.AbortController = function AbortController() {
    const listeners = [];
    this.signal = {
      aborted: false,
      reason: undefined,
      addEventListener: (type, fn) => listeners.push(fn),
      removeEventListener: (type, fn) => { const i = listeners.indexOf(fn); if (i >= 0) listeners.splice(i, 1); },
    };
    this.abort = (reason) => {
      if (this.signal.aborted) return;
      this.signal.aborted = true;
      this.signal.reason = reason;
      listeners.slice().forEach((fn) => fn());
    };
  };
}

// crypto.getRandomValues: a React Native app installs react-native-get-random-values (API.md,
// DPoP); the Hermes CLI has nothing to take randomness from, so this stand-in uses Math.random.
if (typeof g.crypto === 'undefined') g.crypto = {};
if (typeof g.crypto.getRandomValues !== 'function') {
  g.crypto.getRandomValues = (array) => {
    for (let i = 0; i < array.length; i++) array[i] = Math.floor(Math.random() * 256);
    return array;
  };
}
