// The token scan (tests/support/token-scan.mjs) really fails a process: a child Node process that
// loads it the way scripts/test.sh does, gets tokens from the real test server and then leaks one
// into a log line, an action or an error (by hand, or through a real client in Node or in a
// Chromium page) exits 1 with a message that does not repeat the token; the same child without
// the leak exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const scanner = new URL('../support/token-scan.mjs', import.meta.url).href;
const server = new URL('../support/server.mjs', import.meta.url).href;
const browserSupport = new URL('../support/browser.mjs', import.meta.url).href;
const staticSupport = new URL('../support/static.mjs', import.meta.url).href;

/** Runs `body` in a child with the scan preloaded and a server that issued one pair `tokens`. */
function child(body) {
  const code = `
    import { startAuthServer } from ${JSON.stringify(server)};
    import { tokenScan } from ${JSON.stringify(scanner)};
    const server = await startAuthServer();
    const tokens = await server.issueTokens();
    ${body}
    await server.close();
    console.log('done');`;
  const cwd = new URL('..', import.meta.url).pathname; // tests/: 'authlane' is the installed package
  const r = spawnSync(process.execPath, ['--import', scanner, '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 20000, cwd });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a process that logs nothing secret exits 0', () => {
  const r = child(`console.log('a claim:', JSON.stringify({ sub: 'user-1' })); tokenScan.saw('lifecycle action', { type: 'authlane/loggedIn', payload: {} });`);
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /token-scan/);
});

const leaks = [
  ['an access token in console.log', `console.log('sending', 'Bearer ' + tokens.accessToken);`, 'console.log'],
  ['a refresh token in console.warn', `console.warn({ rt: tokens.refreshToken });`, 'console.warn'],
  ['a token in a lifecycle action', `tokenScan.saw('lifecycle action', { type: 'authlane/refreshSucceeded', payload: { t: tokens.accessToken } });`, 'lifecycle action'],
  ['a token in the cause of an error', `tokenScan.saw('rejection', Object.assign(new Error('failed'), { cause: new Error('bad ' + tokens.refreshToken) }));`, 'rejection'],
  // Through a real client, seen by the module hooks (no helper hands these to the scan): a refresh
  // function whose error names the refresh token, which the rejection carries as its cause.
  ['a token in a client.fetch rejection', `
    const { createAuthClient } = await import('authlane');
    const client = await createAuthClient({ baseUrl: server.url, refreshRetry: { attempts: 1 },
      refresh: async ({ refreshToken }) => { throw new Error('refused ' + refreshToken); } });
    await client.login({ accessToken: (await server.issueTokens({ ttl: -30 })).accessToken, refreshToken: tokens.refreshToken });
    await client.fetch('/api/x').catch(() => {});
    client.dispose();`, 'rejection of client.fetch'],
  // The same in a Chromium page: the served client.js reports through a page binding.
  ['a token in a client.fetch rejection in Chromium', `
    const { launch } = await import(${JSON.stringify(browserSupport)});
    const { serveStatic, modulePage } = await import(${JSON.stringify(staticSupport)});
    const [browser, site] = await Promise.all([launch(), serveStatic({ '/p.html': modulePage("import * as a from 'authlane'; window.a = a; window.ready = true;") })]);
    const page = await browser.newPage();
    await page.goto(site.url + '/p.html');
    await page.waitForFunction(() => window.ready);
    const expired = await server.issueTokens({ ttl: -30 });
    await page.evaluate(async ({ base, access, refresh }) => {
      const client = await window.a.createAuthClient({ baseUrl: base, refreshRetry: { attempts: 1 },
        refresh: async ({ refreshToken }) => { throw new Error('refused ' + refreshToken); } });
      await client.login({ accessToken: access, refreshToken: refresh });
      await client.fetch('/api/x').catch(() => {});
      client.dispose();
    }, { base: server.url, access: expired.accessToken, refresh: tokens.refreshToken });
    await browser.close();
    await site.close();`, 'Chromium rejection of client.fetch'],
  ['a token in a process warning', `process.emitWarning('token ' + tokens.accessToken); await new Promise((r) => setTimeout(r, 10));`, 'process warning'],
];
for (const [name, body, where] of leaks) {
  test(`${name} fails the process, naming where without repeating the token`, () => {
    const r = child(body);
    assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
    assert.match(r.stdout, /done/, 'the leak is reported at exit, after the work');
    const report = r.stderr.slice(r.stderr.indexOf('token-scan:'));
    assert.match(report, /^token-scan: \d+ issued token\(s\) appeared in test output/);
    assert.ok(report.includes(`in ${where}`), report);
    assert.doesNotMatch(report, /eyJ|rt_/, 'the report does not print the token');
  });
}
