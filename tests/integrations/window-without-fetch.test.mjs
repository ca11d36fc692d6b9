// Regression (issue 19): where a `window` object exists without its own `fetch` (jsdom,
// global-jsdom, SSR shims), createAuthClient with the default transport must use globalThis.fetch
// (API.md: the default is `globalThis.fetch`), not reject with INVALID_CONFIG "there is no global
// fetch here". Each case runs in a fresh Node process, because what the page's globals look like
// when the module first looks matters; the request must reach the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startAuthServer } from '../support/server.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
let server;
before(async () => { server = await startAuthServer(); });
after(() => server.close());

/** Creates a client with no `fetch` option, logs in, sends one request; prints the status or the error's code and message. */
const useClient = `
  let out;
  try {
    const client = await createAuthClient({ baseUrl: process.env.API, refresh: { url: '/refresh' } });
    await client.login(JSON.parse(process.env.TOKENS));
    const response = await client.fetch('/api/me');
    out = { status: response.status };
    client.dispose();
  } catch (error) {
    out = { code: error.code, message: error.message };
  }
  console.log(JSON.stringify(out));`;

/** What global-jsdom does: every global of the page that Node lacks, the window itself included. */
const globalJsdom = `
  const { installPage } = await import(${JSON.stringify(new URL('./support.mjs', import.meta.url).href)});
  installPage();`;

const cases = [
  ['`globalThis.window = {}` before the import (ESM, the issue\'s reproduction)', 'mjs',
    `globalThis.window = {};\nconst { createAuthClient } = await import('authlane');${useClient}`],
  ['`globalThis.window = {}` after the import, before createAuthClient (ESM)', 'mjs',
    `const { createAuthClient } = await import('authlane');\nglobalThis.window = {};${useClient}`],
  ["a jsdom page's globals as global-jsdom installs them (ESM)", 'mjs',
    `${globalJsdom}\nconst { createAuthClient } = await import('authlane');${useClient}`],
  ['`globalThis.window = {}` before require (CommonJS)', 'cjs',
    `globalThis.window = {};\nconst { createAuthClient } = require('authlane');\n(async () => {${useClient}\n})();`],
];

for (const [what, type, code] of cases) {
  test(`a window without fetch: the default transport is globalThis.fetch; ${what}`, async () => {
    server.reset();
    const tokens = await server.issueTokens();
    const stdout = await new Promise((resolve, reject) => {
      execFile(process.execPath, [`--input-type=${type === 'mjs' ? 'module' : 'commonjs'}`, '-e', code], {
        cwd: here,
        env: { ...process.env, API: server.url, TOKENS: JSON.stringify(tokens) },
        timeout: 20000,
      }, (error, out, err) => (error ? reject(new Error(`the child failed: ${err}`)) : resolve(out)));
    });
    assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)), { status: 200 });
    assert.equal(server.apiLog().length, 1);
    assert.equal(server.apiLog()[0].tokenState, 'valid');
  });
}
