// The token scan: no token string may appear in what a test process produces. Loaded into every
// Node test process (`node --import ./tests/support/token-scan.mjs`, see scripts/test.sh) and
// imported by the support servers and client helpers, it records
//   - every token the test servers issue (`issued`, called by tests/support/*server.mjs),
//   - every console line and process warning,
//   - every lifecycle action and every rejection of every client created through the installed
//     package's ESM build (token-scan-hooks.mjs), and what the helpers hand it (`saw`),
// and when the process exits, fails it (exit code 1 and a message on stderr) if any recorded
// output contains any issued token. The message names where the leak was, never the token.
import { format } from 'node:util';
import { createHash } from 'node:crypto';
import { register } from 'node:module';
import { describe } from './describe.mjs';

const KEY = Symbol.for('authlane.tests.tokenScan');
const MIN_TOKEN_LENGTH = 16; // shorter strings would match by chance

function install() {
  register('./token-scan-hooks.mjs', import.meta.url); // every client's actions and rejections
  const tokens = new Set();
  const outputs = []; // [where, text]
  const record = (where, text) => {
    if (text) outputs.push([where, text]);
  };

  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir']) {
    const original = console[method];
    console[method] = function (...args) {
      record(`console.${method}`, format(...args));
      return original.apply(this, args);
    };
  }
  process.on('warning', (w) => record('process warning', `${w.name}: ${w.message}\n${w.stack || ''}`));

  const leaks = () => {
    const found = [];
    for (const token of tokens) {
      for (const [where, text] of outputs) {
        if (text.includes(token)) found.push({ where, fingerprint: createHash('sha256').update(token).digest('hex').slice(0, 12) });
      }
    }
    return found;
  };

  process.on('exit', () => {
    const found = leaks();
    if (found.length === 0) return;
    const lines = found.slice(0, 10).map((f) => `  in ${f.where} (token sha256 ${f.fingerprint}...)`);
    process.stderr.write(`token-scan: ${found.length} issued token(s) appeared in test output:\n${lines.join('\n')}\n`);
    process.exitCode = 1;
  });

  return {
    /** A token a test server issued: it must never appear in any recorded output. */
    issued(token) {
      if (typeof token === 'string' && token.length >= MIN_TOKEN_LENGTH) tokens.add(token);
    },
    /** Output a user would see: an action, an error (message, code, cause, stack), a log line. */
    saw(where, value) {
      let text;
      try {
        text = describe(value, 0, (v) => format('%o', v));
      } catch {
        text = '[a value that cannot be printed]';
      }
      record(where, text);
    },
    leaks,
  };
}

/** The process's recorder (one per process, however often this module is loaded). */
export const tokenScan = (globalThis[KEY] ??= install());
