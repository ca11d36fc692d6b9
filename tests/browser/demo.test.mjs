// The demo end to end in real headless Chromium: npm start's server, the page, 20 requests
// through an expired token with exactly one refresh, then a definitive refresh failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { launch } from '../support/browser.mjs';
import { startDemo } from '../../examples/server/server.mjs';
import { tokenScan } from '../support/token-scan.mjs';

let browser, demo, page;
before(async () => {
  [browser, demo] = await Promise.all([launch(), startDemo({ port: 0 })]);
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The example server's tokens join the scan: the page's console, errors and text may not show them.
  page.on('response', async (r) => {
    if (!/\/auth\/(login|refresh)$/.test(new URL(r.url()).pathname) || !r.ok()) return;
    const body = await r.json().catch(() => ({}));
    tokenScan.issued(body.accessToken);
    tokenScan.issued(body.refreshToken);
  });
  await page.goto(`${demo.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15000 }).catch((e) => { throw new Error(`${e.message}; page errors: ${errors}`); });
});
after(async () => { await browser?.close(); await demo?.close(); });

const summary = () => page.textContent('#summary');
const clickAndWait = (selector, path) => Promise.all([page.waitForResponse((r) => r.url().endsWith(path)), page.click(selector)]);

test('demo: 20 requests through an expired token make 1 refresh and 20 successes', async () => {
  await page.click('#login');
  await page.waitForFunction(() => document.querySelector('#session-state').textContent === 'signed in');
  assert.match(await page.textContent('#session-user'), /Zoë Demo \(demo\)/);
  await clickAndWait('#expire', '/demo/expire');
  const before = { ...demo.api.stats };
  await page.click('#fire20');
  await page.waitForFunction(() => /^20 requests, /.test(document.querySelector('#summary').textContent), null, { timeout: 15000 });
  assert.equal(await summary(), '20 requests, 1 refresh, 20 successes');
  assert.equal(demo.api.stats.refreshCalls - before.refreshCalls, 1, 'the server saw exactly one refresh');
  assert.equal(demo.api.stats.apiOk - before.apiOk, 20);
  assert.equal(await page.locator('.bar.refresh').count(), 1);
  assert.ok((await page.locator('.bar.held').count()) + (await page.locator('.bar.rejected').count()) >= 1, 'requests were held or rejected, then resent');
  tokenScan.saw('demo page text', await page.textContent('body'));
  mkdirSync('tests/artifacts', { recursive: true });
  await page.screenshot({ path: 'tests/artifacts/demo-timeline.png', fullPage: true });
});

test('demo: a definitive refresh failure shows the session expired', async () => {
  await Promise.all([page.waitForResponse((r) => r.url().endsWith('/demo/switches')), page.selectOption('#refresh-mode', 'fail-definitive')]);
  await clickAndWait('#expire', '/demo/expire');
  await page.click('#fire1');
  await page.waitForFunction(() => /^1 request, /.test(document.querySelector('#summary').textContent), null, { timeout: 15000 });
  assert.equal(await summary(), '1 request, 1 refresh, 0 successes, 1 failed (SESSION_EXPIRED)');
  await page.waitForFunction(() => document.querySelector('#session-state').textContent === 'session expired: log in again');
  tokenScan.saw('demo page text', await page.textContent('body'));
  await page.screenshot({ path: 'tests/artifacts/demo-expired.png', fullPage: true });
});
