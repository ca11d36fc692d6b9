// API.md "DPoP (RFC 9449)" against a real provider: oidc-provider with DPoP on and nonces
// required at the token endpoint and at the resource server (support/oidc-dpop.mjs), which checks
// every proof as RFC 9449 section 4.3 says (support/dpop-resource-server.mjs). The app's own
// first token request is signed by client.dpopProof; from there on the client binds everything
// to its key: N requests through an expiring token make one refresh call, each proof names the
// right method, URL, key, nonce and token hash, a stolen access or refresh token is useless
// without the key, logout revokes with a proof and makes a new key, a reload with the app's
// keyStore keeps the key (the public client's refresh token is bound to it), and a Bearer token
// response stays Bearer. Server-side logs and counts only; the one wait is a bounded poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAuthClient } from 'authlane';
import { startOidcDpop, tokenJkt, decodeProof, tokenHash } from './support/oidc-dpop.mjs';
import { createReferenceSigner } from './support/dpop-reference-signer.mjs';
import { ACCESS, REFRESH, oauthClient, oauthRefresh, spyStorage, lastPayload, countOf, sameToken, differentToken } from './support/clients.mjs';

const call = (url, init = {}) => fetch(url, { signal: AbortSignal.timeout(10000), ...init });

/** A keyStore as an app writes one (React Native: the keychain), counting its calls. */
function memoryKeyStore() {
  const store = { jwk: null, loads: 0, saves: 0, removes: 0 };
  store.api = {
    load: async () => (store.loads++, store.jwk),
    save: async (jwk) => { store.saves++; store.jwk = jwk; },
    remove: async () => { store.removes++; store.jwk = null; },
  };
  return store;
}

/** Polls `check` until it is true (at most `ms`). */
async function until(check, ms = 5000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

/** Waits until the access token has expired by this machine's clock (the provider's). */
const expired = (token) => until(() => Date.now() > JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).exp * 1000 + 20, 3000);

/** Asserts `proof` is a proof RFC 9449 section 4.2 accepts, by key `jkt`, for `htm` `htu`. */
function assertProof(proof, { jkt, htm, htu, accessToken }, what) {
  assert.ok(typeof proof === 'string' && proof.split('.').length === 3, `${what}: a compact JWS in DPoP`);
  const { header, payload, jkt: signer } = decodeProof(proof);
  assert.equal(header.typ, 'dpop+jwt', `${what}: typ`);
  assert.equal(header.alg, 'ES256', `${what}: alg`);
  assert.deepEqual(Object.keys(header.jwk).sort(), ['crv', 'kty', 'x', 'y'], `${what}: a public jwk only`);
  assert.equal(signer, jkt, `${what}: signed by the client's key`);
  assert.equal(payload.htm, htm, `${what}: htm`);
  assert.equal(payload.htu, htu, `${what}: htu`);
  assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60, `${what}: iat is now`);
  assert.ok(typeof payload.jti === 'string' && payload.jti.length >= 16, `${what}: a jti`);
  if (accessToken) assert.equal(payload.ath, tokenHash(accessToken), `${what}: ath is the access token's hash`);
  else assert.equal(payload.ath, undefined, `${what}: no ath`);
  return payload;
}

test('DPoP with oidc-provider: the public client, nonces required everywhere', async (t) => {
  const oidc = await startOidcDpop({ accessTtl: 1 }); // the login's access token is expiring at once
  t.after(() => oidc.close());
  const api = oidc.dpopApi;
  const storage = spyStorage();
  const { client, actions } = await oauthClient(t, oidc, 'public', {
    baseUrl: api.url, dpop: true, storage, revoke: { url: oidc.revocationEndpoint },
  });
  const jkt = client.session().dpop?.jkt;
  assert.match(jkt ?? '', /^[\w-]{43}$/, 'session().dpop.jkt is there from createAuthClient on');

  const tokens = await oidc.login('public', { dpopProof: client.dpopProof });
  oidc.setAccessTtl(300);
  await client.login(tokens);
  await expired(tokens.access_token); // a 1 s token: the requests below must refresh first
  const proofs = []; // every proof that went out, to look for in the actions

  await t.test('dpopProof signs the code exchange: the first tokens are bound to the client\'s key', () => {
    const exchange = oidc.tokenCalls('authorization_code');
    assert.deepEqual(exchange.map((e) => [e.status, e.error]), [[400, 'use_dpop_nonce'], [200, null]]);
    const sent = assertProof(exchange[1].dpop, { jkt, htm: 'POST', htu: oidc.tokenEndpoint }, 'the code exchange');
    assert.equal(sent.nonce, exchange[0].dpopNonce, 'dpopProof put in the nonce it was given');
    assert.equal(tokenJkt(tokens.access_token), jkt, 'cnf.jkt of the first access token');
    assert.equal(lastPayload(actions, 'loggedIn')?.claims?.sub, 'user-1');
    proofs.push(...exchange.map((e) => e.dpop));
  });

  await t.test('10 requests through the expired token: one refresh call with a proof, 10 answers, each request proved', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => client.fetch(`/api/items/${i}`).then((r) => r.status, (e) => e.code)));
    assert.deepEqual(results, Array(10).fill(200));
    const refreshes = oidc.tokenCalls('refresh_token');
    assert.deepEqual(refreshes.map((e) => [e.status, e.error]), [[200, null]], 'one refresh call, and no use_dpop_nonce: the nonce dpopProof was given is the origin\'s latest');
    const sent = assertProof(refreshes[0].dpop, { jkt, htm: 'POST', htu: oidc.tokenEndpoint }, 'the refresh call');
    assert.equal(typeof sent.nonce, 'string', 'the refresh proof carries the token endpoint\'s nonce');
    assert.equal(countOf(actions, 'refreshSucceeded'), 1);
    const access = storage.items.get(ACCESS);
    differentToken(access, tokens.access_token, 'the refreshed access token was stored');
    differentToken(storage.items.get(REFRESH), tokens.refresh_token, 'the rotated refresh token was stored');
    assert.equal(tokenJkt(access), jkt, 'the refreshed access token is bound to the same key');

    // At the API: each request once without the API's nonce (the client had none for that
    // origin), answered 401 use_dpop_nonce, and once with it; never a refresh for it.
    const entries = api.log.filter((e) => e.path.startsWith('/api/items/'));
    assert.equal(entries.filter((e) => e.status === 200).length, 10);
    assert.ok(entries.length <= 20, `at most one resend each (${entries.length} requests)`);
    for (const e of entries) {
      assert.equal(e.scheme, 'DPoP', 'Authorization: DPoP <token>');
      assert.equal(e.jkt, jkt);
      assert.equal(e.tokenHash, tokenHash(access), 'ath is the sent token\'s hash');
      if (e.status !== 200) assert.deepEqual([e.status, e.check], [401, 'nonce']);
    }
    assert.equal(new Set(entries.map((e) => e.jti)).size, entries.length, 'a fresh jti in every proof');
    proofs.push(refreshes[0].dpop);
  });

  await t.test('the API\'s new nonce: the request is sent once more with it, no refresh', async () => {
    api.rotateNonce();
    api.rotateNonce(); // the nonce the client holds is now two behind: stale
    const before = api.log.length;
    const res = await client.fetch('/api/items/again');
    assert.equal(res.status, 200);
    assert.deepEqual(api.log.slice(before).map((e) => [e.status, e.check, e.nonce]), [[401, 'nonce', 'stale'], [200, null, 'current']]);
    assert.equal(oidc.tokenCalls('refresh_token').length, 1, 'no refresh for a nonce');
  });

  await t.test('stolen tokens are useless without the key, and the thief consumes nothing', async () => {
    const thief = await createReferenceSigner();
    const access = storage.items.get(ACCESS);
    const url = `${api.url}/api/items/stolen`;
    const h = { authorization: `DPoP ${access}`, dpop: await thief.proof('GET', url, { accessToken: access, nonce: api.nonce }) };
    const res = await call(url, { headers: h });
    assert.equal(res.status, 401);
    assert.ok(['jkt', 'nonce'].includes(api.log.at(-1).check), `refused at ${api.log.at(-1).check}`);
    const stolen = await oidc.refreshWithProof(storage.items.get(REFRESH), 'public', thief.dpopProof);
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.error, 'invalid_grant', 'the public client\'s refresh token is bound to the client\'s key');
    const held = storage.items.get(REFRESH);
    await client.refresh();
    differentToken(storage.items.get(REFRESH), held, 'the client still rotates its refresh token');
    assert.equal(countOf(actions, 'refreshSucceeded'), 2);
    assert.equal(oidc.tokenCalls('refresh_token').filter((e) => e.status === 200).length, 2);
    proofs.push(oidc.tokenCalls('refresh_token').at(-1).dpop);
  });

  await t.test('logout revokes with a proof and makes a new key for the next session', async () => {
    const refresh = storage.items.get(REFRESH);
    assert.deepEqual(await client.logout(), { revoked: true });
    const revocation = oidc.revocationLog.at(-1);
    assert.equal(revocation.status, 200);
    assertProof(revocation.dpop, { jkt, htm: 'POST', htu: oidc.revocationEndpoint }, 'the revocation');
    assert.equal(revocation.tokenTypeHint, 'refresh_token');
    const after = await oidc.refreshWithProof(refresh, 'public', null);
    assert.equal(after.status, 400, 'the revoked refresh token is dead');
    assert.ok(await until(() => client.session().dpop?.jkt && client.session().dpop.jkt !== jkt), 'a new key after logout');
    assert.equal(client.session().authenticated, false);
    proofs.push(revocation.dpop);
  });

  await t.test('no action carries a token, a proof or a key', () => {
    const text = JSON.stringify(actions);
    for (const p of proofs) assert.ok(!text.includes(p.split('.')[1]), 'a proof in an action');
    assert.ok(!/"[dxy]":"[\w-]{43}"/.test(text), 'a key in an action');
  });
});

test('DPoP with a confidential client (client_secret_basic): only the access token is bound; refreshes go with a proof and the client\'s authentication', async (t) => {
  const oidc = await startOidcDpop({ accessTtl: 1 });
  t.after(() => oidc.close());
  const api = oidc.dpopApi;
  const storage = spyStorage();
  const { client } = await oauthClient(t, oidc, 'basic', { baseUrl: api.url, dpop: true, storage });
  const jkt = client.session().dpop.jkt;
  const tokens = await oidc.login('basic', { dpopProof: client.dpopProof });
  oidc.setAccessTtl(300);
  await client.login(tokens);
  await expired(tokens.access_token);
  const results = await Promise.all(Array.from({ length: 6 }, () => client.fetch('/api/c').then((r) => r.status)));
  assert.deepEqual(results, Array(6).fill(200));
  const refreshes = oidc.tokenCalls('refresh_token').filter((e) => e.status === 200);
  assert.equal(refreshes.length, 1, 'one refresh for the expiring token');
  assert.equal(refreshes[0].basic, oidc.clients.basic.clientId, 'with the client\'s Basic authentication');
  assertProof(refreshes[0].dpop, { jkt, htm: 'POST', htu: oidc.tokenEndpoint }, 'the refresh call');
  assert.equal(tokenJkt(storage.items.get(ACCESS)), jkt);
  // The refresh token is bound to the client's authentication, not the key: another key can use
  // it (with the secret), which is why the public client's case above matters.
  const other = await createReferenceSigner();
  const elsewhere = await oidc.refreshWithProof(storage.items.get(REFRESH), 'basic', other.dpopProof);
  assert.equal(elsewhere.status, 200);
  assert.equal(tokenJkt(elsewhere.body.access_token), other.jkt);
});

test('DPoP: a reload with the app\'s keyStore keeps the key, and the bound refresh token works from the new client', async (t) => {
  const oidc = await startOidcDpop();
  t.after(() => oidc.close());
  const keys = memoryKeyStore();
  const storage = spyStorage();
  const options = { baseUrl: oidc.dpopApi.url, dpop: { keyStore: keys.api }, storage, revoke: { url: oidc.revocationEndpoint } };
  const first = await oauthClient(t, oidc, 'public', options);
  const jkt = first.client.session().dpop.jkt;
  assert.deepEqual([keys.loads, keys.saves, keys.removes], [1, 1, 0], 'a new key pair, saved');
  assert.equal(typeof keys.jwk.d, 'string', 'the keyStore holds a private JWK');
  await first.client.login(await oidc.login('public', { dpopProof: first.client.dpopProof }));
  first.client.dispose();

  const second = await oauthClient(t, oidc, 'public', options);
  assert.equal(second.client.session().dpop.jkt, jkt, 'the reloaded client has the same key');
  assert.equal(second.client.session().authenticated, true);
  assert.equal(keys.saves, 1, 'read, not made again');
  const held = storage.items.get(REFRESH);
  await second.client.refresh();
  differentToken(storage.items.get(REFRESH), held, 'the bound refresh token rotated from the reloaded client');
  assert.equal(lastPayload(second.actions, 'refreshSucceeded') !== undefined, true);
  assert.equal((await second.client.fetch('/api/me')).status, 200);

  await second.client.logout();
  assert.ok(await until(() => second.client.session().dpop?.jkt && second.client.session().dpop.jkt !== jkt), 'a new key after logout');
  assert.deepEqual([keys.saves, keys.removes], [2, 1], 'the old key removed, the new one saved');
  assert.notEqual(keys.jwk.x, undefined);
});

test('DPoP: a Bearer token response stays Bearer; the next refresh, with a proof, binds the tokens', async (t) => {
  const oidc = await startOidcDpop({ tokenNonce: false });
  t.after(() => oidc.close());
  const api = oidc.dpopApi;
  const storage = spyStorage();
  const { client } = await oauthClient(t, oidc, 'post', { baseUrl: api.url, dpop: true, storage });
  const tokens = await oidc.login('post', { dpopProof: null });
  assert.equal(tokens.token_type, 'Bearer');
  await client.login(tokens);
  assert.equal((await client.fetch('/api/a')).status, 200);
  assert.deepEqual(api.log.map((e) => [e.scheme, e.status]), [['Bearer', 200]], 'a Bearer token goes as Bearer, without a proof');
  await client.refresh();
  const jkt = client.session().dpop.jkt;
  assertProof(oidc.tokenCalls('refresh_token').at(-1).dpop, { jkt, htm: 'POST', htu: oidc.tokenEndpoint }, 'the refresh call');
  assert.equal(tokenJkt(storage.items.get(ACCESS)), jkt, 'the refreshed access token is bound');
  assert.equal((await client.fetch('/api/b?x=1#f')).status, 200);
  const last = api.log.filter((e) => e.status === 200).at(-1);
  assert.deepEqual([last.scheme, last.jkt, last.path], ['DPoP', jkt, '/api/b']);
});

test('DPoP: a server that keeps asking for a new nonce gets one resend, then its 401 goes to the caller (no refresh, no loop)', async (t) => {
  const calls = [];
  let nonce = 0;
  const fakeFetch = async (input, init) => {
    const req = new Request(input, init);
    calls.push({ url: req.url, authorization: req.headers.get('authorization'), dpop: req.headers.get('dpop') });
    if (req.url.endsWith('/refresh')) return Response.json({ accessToken: 'a2.b.c', refreshToken: 'r2', expiresIn: 300, token_type: 'DPoP' });
    return new Response('', { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce", algs="ES256"', 'dpop-nonce': `n${++nonce}` } });
  };
  const client = await createAuthClient({ baseUrl: 'https://api.example.com', refresh: { url: '/refresh' }, fetch: fakeFetch, dpop: true });
  t.after(() => client.dispose());
  await client.login({ access_token: 'opaque-access', refresh_token: 'r1', expires_in: 300, token_type: 'DPoP' });
  const res = await client.fetch('/data');
  assert.equal(res.status, 401);
  assert.deepEqual(calls.map((c) => c.url), ['https://api.example.com/data', 'https://api.example.com/data'], 'sent twice, no refresh');
  assert.equal(calls[0].authorization, 'DPoP opaque-access');
  assert.equal(decodeProof(calls[0].dpop).payload.nonce, undefined);
  assert.equal(decodeProof(calls[1].dpop).payload.nonce, 'n1');
  assert.equal(decodeProof(calls[1].dpop).payload.ath, tokenHash('opaque-access'));
});

test('DPoP: options and calls that cannot work are refused with INVALID_CONFIG', async (t) => {
  const plain = await createAuthClient({ baseUrl: 'https://api.example.com', refresh: { url: '/refresh' } });
  t.after(() => plain.dispose());
  await assert.rejects(plain.dpopProof('POST', 'https://id.example.com/token'), { code: 'INVALID_CONFIG' });
  assert.equal(plain.session().dpop, undefined, 'no dpop in session() without the option');
  for (const dpop of ['yes', { keyStore: { load() {} } }, { keyStore: true }]) {
    await assert.rejects(createAuthClient({ baseUrl: 'https://api.example.com', refresh: { url: '/refresh' }, dpop }), (e) => e.code === 'INVALID_CONFIG' && /dpop/.test(e.message));
  }
  const client = await createAuthClient({ baseUrl: 'https://api.example.com', refresh: { url: '/refresh' }, dpop: true });
  t.after(() => client.dispose());
  await assert.rejects(client.dpopProof('POST', 'mailto:someone@example.com'), { code: 'INVALID_CONFIG' });
  const proof = decodeProof(await client.dpopProof('post', '/token?x=1#y', { nonce: 'abc' }));
  assert.deepEqual([proof.payload.htm, proof.payload.htu, proof.payload.nonce], ['POST', 'https://api.example.com/token', 'abc']);
});
