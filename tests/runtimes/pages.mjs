// The pages that run scenario.js in a browser, served with the installed package by
// tests/support/static.mjs: `/` in the window (the `authlane` import map of modulePage, tokens in
// localStorage) and `/worker.html`, which runs it in a module Web Worker (workers get no import
// map: the worker imports the package's ESM entry by its path, tokens in memory). Either page ends
// with `window.__result`, a Promise of the scenario's JSON text.
import { readFileSync } from 'node:fs';
import { modulePage, serveStatic } from '../support/static.mjs';

const scenario = readFileSync(new URL('./scenario.js', import.meta.url), 'utf8');

/** Records what fails before the result exists (a module that does not load, an uncaught error). */
const CATCH_LOAD_ERRORS = `<script>window.__errors = [];
addEventListener('error', (e) => __errors.push(String(e.message || e.error || 'error event')));
addEventListener('unhandledrejection', (e) => __errors.push('unhandled rejection: ' + String(e.reason && (e.reason.stack || e.reason))));</script>`;

const finish = (runtime) => `.then((r) => { r.runtime = ${runtime}; return JSON.stringify(r); },
    (e) => JSON.stringify({ crash: String((e && e.stack) || e) }))`;

export async function servePages(control) {
  const window = modulePage(`
    import * as authlane from 'authlane';
    import { runScenario } from '/scenario.js';
    window.__result = runScenario({ authlane, control: ${JSON.stringify(control)}, storage: () => { localStorage.clear(); return localStorage; } })
      ${finish('navigator.userAgent')};`);
  const worker = `
    import * as authlane from '/authlane/esm/index.js';
    import { runScenario } from '/scenario.js';
    runScenario({ authlane, control: ${JSON.stringify(control)} })
      ${finish("'module worker: ' + navigator.userAgent")}
      .then((json) => postMessage(json));`;
  const workerPage = `<!doctype html><meta charset="utf-8">${CATCH_LOAD_ERRORS}<script>
    const worker = new Worker('/worker.js', { type: 'module' });
    window.__result = new Promise((resolve) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => resolve(JSON.stringify({ crash: 'the worker failed: ' + (e.message || 'error event (a module that did not load?)') }));
    });</script>`;
  return serveStatic({
    '/': window.replace('<script type="importmap">', CATCH_LOAD_ERRORS + '<script type="importmap">'),
    '/worker.html': workerPage,
    '/worker.js': worker,
    '/scenario.js': scenario,
  });
}

/** For WebDriver's execute/async: waits for `__result` (or a load error) and returns its text. */
export const AWAIT_RESULT = `const done = arguments[arguments.length - 1];
  const started = Date.now();
  (function poll() {
    if (window.__result) return window.__result.then(done);
    if (window.__errors && window.__errors.length) return done(JSON.stringify({ crash: window.__errors.join('; ') }));
    if (Date.now() - started > 20000) return done(JSON.stringify({ crash: 'the page never started the scenario' }));
    setTimeout(poll, 50);
  })();`;
