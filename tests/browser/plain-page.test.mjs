// The package works in a browser from a plain HTML page: no bundler, only an import map.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from '../support/browser.mjs';
import { modulePage, serveStatic } from '../support/static.mjs';

let browser, server;
before(async () => {
  browser = await launch();
  server = await serveStatic({
    '/decode.html': modulePage(`
      import { decodeJwt, isAuthlaneError } from 'authlane';
      const out = { name: decodeJwt('x.eyJuYW1lIjoiSm9zw6kifQ').name };
      try { decodeJwt('nope'); } catch (e) { out.code = e.code; out.guard = isAuthlaneError(e); }
      window.result = out;`),
  });
});
after(async () => { await browser?.close(); await server?.close(); });

test('decodeJwt works from an ES module page with an import map', async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/decode.html`);
  const result = await page.waitForFunction(() => window.result).then((h) => h.jsonValue());
  assert.deepEqual(result, { name: 'José', code: 'INVALID_TOKEN', guard: true });
  assert.deepEqual(errors, []);
});
