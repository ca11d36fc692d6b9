// Security: allowedOrigins takes origins only, and an origin is scheme + host + port, exactly.
// (client-session / client-lifecycle already check '*', 'https://*.example.com' and a non-array;
// client-origin checks another port.) Here: malformed entries of every kind reject at
// createAuthClient with INVALID_CONFIG naming the option; and at a real server on 127.0.0.1,
// 127.0.0.1 vs localhost, another scheme, a subdomain, a parent domain, a look-alike host and
// another port get no token, while the same origin spelled differently (case, default port) does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient, isAuthlaneError } from 'authlane';
import { loggedInClient, serverFor, settleAll, settlesWithin } from '../support/harness.mjs';

async function rejectsConfig(allowedOrigins) {
  const r = await settlesWithin(createAuthClient({ refresh: { url: 'https://api.example.com/refresh' }, allowedOrigins }));
  if ('value' in r) r.value.dispose();
  return 'error' in r && isAuthlaneError(r.error) && r.error.code === 'INVALID_CONFIG' && /allowedOrigins/.test(r.error.message);
}

test('allowedOrigins: garbage, other schemes and non-strings reject with INVALID_CONFIG naming the option', async () => {
  const bad = [
    'api.example.com', '//api.example.com', 'https:api.example.com', 'https:/api.example.com', 'https://', 'https:///x',
    '', ' ', 'not a url', 'null', 'ftp://api.example.com', 'javascript:alert(1)', 'data:text/plain,x', 'file:///etc/passwd',
    'https://exa mple.com', 'https://api.example.com:99999', 'https://api.example.com:-1', 'https://[::1', 'https://*',
    '*.example.com', 42, null, undefined, true, {}, ['https://api.example.com'], Symbol('origin'), new URL('https://api.example.com'),
  ];
  const accepted = [];
  for (const entry of bad) if (!(await rejectsConfig([entry]))) accepted.push(String(typeof entry === 'symbol' ? 'a Symbol' : JSON.stringify(entry)));
  assert.deepEqual(accepted, []);
  // One bad entry among good ones rejects the whole list.
  assert.ok(await rejectsConfig(['https://api.example.com', '*']));
  assert.ok(await rejectsConfig(['https://api.example.com', 'api.example.com']));
});

test('allowedOrigins: an entry with a path, query, fragment or credentials is not an origin and rejects', async () => {
  // Taking only the origin out of such a URL would widen what the user wrote ("/v1" only) to the
  // whole origin, and 'https://api.example.com@evil.example' would allow evil.example.
  const bad = [
    'https://api.example.com/v1', 'https://api.example.com/v1/', 'https://api.example.com\\v1', 'https://api.example.com?x=1',
    'https://api.example.com#top', 'https://user:pass@api.example.com', 'https://user@api.example.com', 'https://api.example.com@evil.example',
  ];
  const accepted = [];
  for (const entry of bad) if (!(await rejectsConfig([entry]))) accepted.push(entry);
  assert.deepEqual(accepted, [], 'accepted as if they were origins');
});

test('127.0.0.1 and localhost are different origins, at the same real server', async (t) => {
  const server = await serverFor(t);
  const { port } = new URL(server.url);
  const byIp = await loggedInClient(t, server, { allowedOrigins: [`http://127.0.0.1:${port}`] });
  const byName = await loggedInClient(t, server, { baseUrl: `http://localhost:${port}`, allowedOrigins: [`http://localhost:${port}`] });
  const rs = await settleAll([
    byIp.client.fetch(`http://127.0.0.1:${port}/api/ip-to-ip`),
    byIp.client.fetch(`http://localhost:${port}/api/ip-to-name`),
    byName.client.fetch(`http://localhost:${port}/api/name-to-name`),
    byName.client.fetch(`http://127.0.0.1:${port}/api/name-to-ip`),
  ]);
  assert.deepEqual(rs.map((r) => r.value?.status), [200, 401, 200, 401]);
  const auth = (path) => server.apiLog(path).map((e) => e.auth);
  assert.deepEqual(auth('/api/ip-to-ip'), [`Bearer ${byIp.tokens.accessToken}`]);
  assert.deepEqual(auth('/api/ip-to-name'), [null], 'localhost got the token of a client allowed only 127.0.0.1');
  assert.deepEqual(auth('/api/name-to-name'), [`Bearer ${byName.tokens.accessToken}`]);
  assert.deepEqual(auth('/api/name-to-ip'), [null], '127.0.0.1 got the token of a client allowed only localhost');
  assert.equal(server.refreshCalls, 0, 'a 401 from an origin not allowed is returned as is');
});

/**
 * A transport that sends every URL to the real server on 127.0.0.1 whatever its scheme, host and
 * port (like a hosts-file entry plus a TLS-terminating proxy), so the library's decision for
 * https://api.example.test and its look-alikes is seen at a real server. The path is kept.
 */
function everyHostTo(server) {
  return (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input.url);
    return fetch(`${server.url}${url.pathname}${url.search}`, init);
  };
}

test('scheme, host and port are distinct: only the listed origin, however spelled, gets the token', async (t) => {
  const server = await serverFor(t);
  const origin = 'https://api.example.test';
  const { client, tokens } = await loggedInClient(t, server, { baseUrl: origin, allowedOrigins: [origin], fetch: everyHostTo(server) });
  const same = {
    'https://api.example.test/api/same': 'the listed origin',
    'https://API.Example.TEST/api/case': 'the host in capitals',
    'https://api.example.test:443/api/default-port': 'the default port written out',
    '/api/relative': 'a URL relative to baseUrl',
  };
  const other = {
    'http://api.example.test/api/http': 'http instead of https',
    'https://api.example.test:8443/api/port': 'another port',
    'https://sub.api.example.test/api/subdomain': 'a subdomain',
    'https://example.test/api/parent': 'the parent domain',
    'https://api.example.test.evil.test/api/suffix': 'the name as a prefix of another',
    'https://evilapi.example.test/api/lookalike': 'a look-alike host',
    'https://api.example.test./api/trailing-dot': 'the host with a trailing dot',
    'https://api.example.test@evil.test/api/userinfo': 'the allowed host as user info',
    'https://evil.test/api/in-query?https://api.example.test': 'the allowed origin in the query',
  };
  const urls = [...Object.keys(same), ...Object.keys(other)];
  const rs = await settleAll(urls.map((url) => client.fetch(url)));
  const got = {};
  urls.forEach((url, i) => {
    const path = new URL(url, origin).pathname;
    const sent = server.apiLog(path);
    assert.equal(sent.length, 1, `${url} arrived once`);
    got[url] = { status: rs[i].value?.status, auth: sent[0].auth };
  });
  for (const url of Object.keys(same)) assert.deepEqual(got[url], { status: 200, auth: `Bearer ${tokens.accessToken}` }, `${same[url]}: ${url}`);
  for (const url of Object.keys(other)) assert.deepEqual(got[url], { status: 401, auth: null }, `${other[url]}: ${url}`);
  assert.equal(server.refreshCalls, 0);
});

test('an http origin allowed does not give the token to https on the same host and port', async (t) => {
  const server = await serverFor(t);
  const { port } = new URL(server.url);
  const { client, tokens } = await loggedInClient(t, server, { allowedOrigins: [`http://127.0.0.1:${port}`], fetch: everyHostTo(server) });
  const rs = await settleAll([client.fetch(`http://127.0.0.1:${port}/api/plain`), client.fetch(`https://127.0.0.1:${port}/api/tls`)]);
  assert.deepEqual(rs.map((r) => r.value?.status), [200, 401]);
  assert.equal(server.apiLog('/api/plain')[0].auth, `Bearer ${tokens.accessToken}`);
  assert.equal(server.apiLog('/api/tls')[0].auth, null);
});
