// The DPoP test servers tested on their own, without authlane, with the reference signer
// (support/dpop-reference-signer.mjs): oidc-provider with DPoP and nonces required
// (support/oidc-dpop.mjs) and the resource server that checks every proof as RFC 9449 says
// (support/dpop-resource-server.mjs). A correct proof passes; every kind of bad proof is refused
// with the answer RFC 9449 gives and logged with the check that failed; the public client's
// refresh tokens are bound to the key (a stolen one is useless with another key or none), the
// confidential client's are not; revocation works. Server-side logs only, no sleeps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startOidcDpop, tokenJkt, decodeProof, tokenHash } from './support/oidc-dpop.mjs';
import { startDpopResourceServer } from './support/dpop-resource-server.mjs';
import { createReferenceSigner } from './support/dpop-reference-signer.mjs';

const call = (url, init = {}) => fetch(url, { signal: AbortSignal.timeout(10000), ...init });

/** A request to a resource server: { status, challenge (WWW-Authenticate), nonce (DPoP-Nonce), entry (its log entry) }. */
async function request(api, url, { method = 'GET', token, scheme = 'DPoP', proof, headers = {} } = {}) {
  const h = new Headers(headers);
  if (token) h.set('authorization', `${scheme} ${token}`);
  for (const p of [proof].flat()) if (p) h.append('dpop', p);
  const before = api.log.length;
  const res = await call(url, { method, headers: h });
  await res.arrayBuffer();
  assert.equal(api.log.length, before + 1, 'one log entry a request');
  return { status: res.status, challenge: res.headers.get('www-authenticate'), nonce: res.headers.get('dpop-nonce'), entry: api.log.at(-1), headers: res.headers };
}

function refused(r, check, error) {
  assert.equal(r.status, 401, `${check}: status`);
  assert.equal(r.entry.check, check, 'the check that failed');
  assert.equal(r.entry.error, error);
  assert.ok(r.challenge?.startsWith(`DPoP error="${error}"`), `${check}: WWW-Authenticate ${r.challenge}`);
  assert.match(r.challenge, /algs="ES256"/);
}

test('oidc-provider with DPoP and nonces, and a resource server checking every proof (RFC 9449)', async (t) => {
  const oidc = await startOidcDpop();
  t.after(() => oidc.close());
  const api = oidc.dpopApi;
  const owner = await createReferenceSigner();
  const thief = await createReferenceSigner();

  const login = await oidc.login('public', { dpopProof: owner.dpopProof });
  const at = login.access_token;
  const url = `${api.url}/api/items`;

  await t.test('the code exchange: 400 use_dpop_nonce with a DPoP-Nonce, then the proof with that nonce gets DPoP-bound tokens', () => {
    const exchange = oidc.tokenCalls('authorization_code');
    assert.deepEqual(exchange.map((e) => [e.status, e.error]), [[400, 'use_dpop_nonce'], [200, null]]);
    assert.ok(exchange[0].dpopNonce, 'the 400 carries a DPoP-Nonce');
    const sent = decodeProof(exchange[1].dpop);
    assert.equal(sent.payload.nonce, exchange[0].dpopNonce, 'the second proof carries that nonce');
    assert.equal(sent.payload.htu, oidc.tokenEndpoint);
    assert.equal(sent.jkt, owner.jkt);
    assert.equal(login.token_type, 'DPoP');
    assert.equal(tokenJkt(at), owner.jkt, 'the access token is bound to the key (cnf.jkt)');
  });

  await t.test('the token endpoint answers cross-origin requests with DPoP-Nonce exposed', async () => {
    const init = oidc.clientForm('public', { grant_type: 'refresh_token', refresh_token: login.refresh_token });
    const res = await call(oidc.tokenEndpoint, { ...init, headers: { ...init.headers, origin: 'http://127.0.0.1:1', dpop: await owner.proof('POST', oidc.tokenEndpoint) } });
    const body = await res.json();
    assert.equal(res.status, 400);
    assert.equal(body.error, 'use_dpop_nonce', 'a proof without a nonce is refused before the refresh token is looked at');
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1');
    assert.match(res.headers.get('access-control-expose-headers'), /DPoP-Nonce/i);
    assert.ok(res.headers.get('dpop-nonce'));
  });

  let nonce;
  await t.test('the resource server: a correct proof passes once it carries the server nonce', async () => {
    const first = await request(api, url, { token: at, proof: await owner.proof('GET', url, { accessToken: at }) });
    assert.equal(first.status, 401);
    assert.equal(first.challenge, 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof", algs="ES256"');
    assert.equal(first.nonce, api.nonce);
    assert.deepEqual([first.entry.check, first.entry.nonce], ['nonce', 'none']);
    nonce = first.nonce;

    const query = `${url}?page=2#top`; // htu leaves out the query and the fragment
    const ok = await request(api, query, { token: at, proof: await owner.proof('GET', query, { accessToken: at, nonce }) });
    assert.equal(ok.status, 200);
    assert.equal(ok.nonce, null, 'no new nonce with the current one');
    assert.deepEqual([ok.entry.check, ok.entry.scheme, ok.entry.nonce, ok.entry.sub], [null, 'DPoP', 'current', 'user-1']);
    assert.equal(ok.entry.jkt, owner.jkt);
    assert.equal(ok.entry.tokenJkt, owner.jkt);
    assert.equal(ok.entry.tokenHash, tokenHash(at));

    const post = await request(api, url, { method: 'POST', token: at, proof: await owner.proof('POST', url, { accessToken: at, nonce }) });
    assert.equal(post.status, 200);
    const before = api.log.length;
    const statuses = await Promise.all(Array.from({ length: 8 }, async () => {
      const res = await call(url, { headers: { authorization: `DPoP ${at}`, dpop: await owner.proof('GET', url, { accessToken: at, nonce }) } });
      await res.arrayBuffer();
      return res.status;
    }));
    assert.deepEqual(statuses, Array(8).fill(200), '8 concurrent requests with their own proofs pass');
    assert.equal(api.log.slice(before).filter((e) => e.status === 200).length, 8);
  });

  await t.test('each kind of bad proof is refused with its error and logged with its check', async () => {
    const good = (o = {}) => owner.proof(o.method ?? 'GET', o.url ?? url, { accessToken: at, nonce, ...o });
    const none = await request(api, url, {});
    assert.deepEqual([none.status, none.challenge, none.entry.check, none.entry.error], [401, 'DPoP algs="ES256"', 'authorization', null]);

    refused(await request(api, url, { token: at }), 'proof', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: [await good(), await good()] }), 'proof', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ header: { typ: 'JWT' } }) }), 'typ', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ header: { alg: 'ES384' } }) }), 'alg', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ header: { jwk: owner.privateJwk } }) }), 'jwk', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ badSignature: true }) }), 'signature', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ claims: { jti: undefined } }) }), 'claims', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ method: 'POST' }) }), 'htm', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ url: `${api.url}/api/other` }) }), 'htu', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ iat: Math.floor(Date.now() / 1000) - 600 }) }), 'iat', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ accessToken: login.id_token }) }), 'ath', 'invalid_dpop_proof');
    refused(await request(api, url, { token: at, proof: await good({ accessToken: undefined }) }), 'ath', 'invalid_dpop_proof');

    const once = await good();
    assert.equal((await request(api, url, { token: at, proof: once })).status, 200);
    const replay = await request(api, url, { token: at, proof: once });
    refused(replay, 'jti', 'invalid_dpop_proof');

    refused(await request(api, url, { token: 'e30.e30.e30', proof: await owner.proof('GET', url, { accessToken: 'e30.e30.e30', nonce }) }), 'token', 'invalid_token');
    assert.ok(!JSON.stringify(api.log).includes(at), 'the log holds no token string');
  });

  await t.test('a stolen access token is refused without the key: as Bearer, or with another key', async () => {
    const bearer = await request(api, url, { token: at, scheme: 'Bearer' });
    refused(bearer, 'bearer_bound', 'invalid_token');
    assert.equal(bearer.entry.scheme, 'Bearer');
    const other = await request(api, url, { token: at, proof: await thief.proof('GET', url, { accessToken: at, nonce }) });
    refused(other, 'jkt', 'invalid_token');
    assert.deepEqual([other.entry.jkt, other.entry.tokenJkt], [thief.jkt, owner.jkt]);
  });

  await t.test('an unbound (Bearer) token passes as Bearer and is refused under the DPoP scheme', async () => {
    const plain = await oidc.login('post', { dpopProof: null });
    assert.equal(tokenJkt(plain.access_token), null);
    const bearer = await request(api, url, { token: plain.access_token, scheme: 'Bearer' });
    assert.deepEqual([bearer.status, bearer.entry.check, bearer.entry.scheme], [200, null, 'Bearer']);
    const asDpop = await request(api, url, { token: plain.access_token, proof: await owner.proof('GET', url, { accessToken: plain.access_token, nonce }) });
    refused(asDpop, 'unbound', 'invalid_token');
  });

  await t.test('nonces: the previous one passes with the new one in DPoP-Nonce, an older one is stale, the switch turns them off', async () => {
    api.rotateNonce();
    assert.notEqual(api.nonce, nonce);
    const previous = await request(api, url, { token: at, proof: await owner.proof('GET', url, { accessToken: at, nonce }) });
    assert.deepEqual([previous.status, previous.entry.nonce, previous.nonce], [200, 'previous', api.nonce]);
    api.rotateNonce();
    const stale = await request(api, url, { token: at, proof: await owner.proof('GET', url, { accessToken: at, nonce }) });
    refused(stale, 'nonce', 'use_dpop_nonce');
    assert.deepEqual([stale.entry.nonce, stale.nonce], ['stale', api.nonce]);
    const bogus = await request(api, url, { token: at, proof: await owner.proof('GET', url, { accessToken: at, nonce: 'made-up' }) });
    assert.equal(bogus.entry.check, 'nonce');
    nonce = api.nonce;

    api.requireNonce(false);
    const without = await request(api, url, { token: at, proof: await owner.proof('GET', url, { accessToken: at }) });
    assert.deepEqual([without.status, without.entry.nonce], [200, 'none']);
    api.requireNonce(true);
    assert.equal((await request(api, url, { token: at, proof: await owner.proof('GET', url, { accessToken: at }) })).entry.check, 'nonce');
  });

  await t.test('a resource server with nonceEvery rotates after that many accepted requests; CORS for any origin', async (tt) => {
    const rotating = await startDpopResourceServer({ issuer: oidc.issuer, audience: oidc.resource, jwksUrl: `${oidc.issuer}/jwks`, nonceEvery: 2 });
    tt.after(() => rotating.close());
    const u = `${rotating.url}/api/x`;
    const n0 = rotating.nonce;
    for (let i = 0; i < 2; i++) {
      assert.equal((await request(rotating, u, { token: at, proof: await owner.proof('GET', u, { accessToken: at, nonce: n0 }) })).status, 200);
    }
    assert.notEqual(rotating.nonce, n0, 'rotated after 2');

    const pre = await call(u, { method: 'OPTIONS', headers: { origin: 'http://127.0.0.1:1', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,dpop' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1');
    assert.equal(pre.headers.get('access-control-allow-headers'), 'authorization,dpop');
    const r = await request(rotating, u, { token: at, headers: { origin: 'http://127.0.0.1:1' }, proof: await owner.proof('GET', u, { accessToken: at }) });
    assert.equal(r.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1');
    assert.match(r.headers.get('access-control-expose-headers'), /WWW-Authenticate, DPoP-Nonce/);
  });

  await t.test('the public client: a refresh with the key rotates the bound refresh token; a stolen one is useless with another key or none', async () => {
    const rotated = await oidc.refreshWithProof(login.refresh_token, 'public', owner.dpopProof);
    assert.equal(rotated.status, 200);
    assert.equal(rotated.nonceRetried, false, 'the nonce from the code exchange is still good');
    assert.equal(rotated.body.token_type, 'DPoP');
    assert.ok(rotated.body.refresh_token !== login.refresh_token, 'rotated');
    assert.equal(tokenJkt(rotated.body.access_token), owner.jkt);
    const revokedBefore = oidc.grantsRevoked;

    const stolen = rotated.body.refresh_token;
    const withThief = await oidc.refreshWithProof(stolen, 'public', thief.dpopProof);
    assert.deepEqual([withThief.status, withThief.body.error], [400, 'invalid_grant']);
    assert.equal(withThief.nonceRetried, true, 'the thief had to ask for a nonce first');
    const noProof = await oidc.refreshWithProof(stolen, 'public', null);
    assert.deepEqual([noProof.status, noProof.body.error], [400, 'invalid_grant']);
    assert.equal(await oidc.refreshTokenActive(stolen), true, 'the refused attempts consumed nothing');
    assert.equal(oidc.grantsRevoked, revokedBefore, 'and revoked nothing');

    const again = await oidc.refreshWithProof(stolen, 'public', owner.dpopProof);
    assert.equal(again.status, 200, 'the owner still refreshes');
    assert.equal(await oidc.refreshTokenActive(stolen), false, 'the used one is spent');
    const reused = await oidc.refreshWithProof(stolen, 'public', owner.dpopProof);
    assert.deepEqual([reused.status, reused.body.error], [400, 'invalid_grant'], 'reusing a rotated refresh token is refused');
    assert.equal(oidc.grantsRevoked, revokedBefore + 1, 'and revokes the grant');
  });

  await t.test('the confidential client: only the access token is bound; a refresh with a new key binds the new token to it', async () => {
    const basic = await oidc.login('basic', { dpopProof: owner.dpopProof });
    assert.equal(tokenJkt(basic.access_token), owner.jkt);
    const noProof = await oidc.refreshWithProof(basic.refresh_token, 'basic', null);
    assert.deepEqual([noProof.status, noProof.body.error], [400, 'invalid_grant'], 'dpop_bound_access_tokens: no proof, no token');
    const newKey = await oidc.refreshWithProof(basic.refresh_token, 'basic', thief.dpopProof);
    assert.equal(newKey.status, 200);
    assert.equal(tokenJkt(newKey.body.access_token), thief.jkt);
  });

  await t.test('revocation: a revoked bound refresh token no longer refreshes; the proof sent is logged (oidc-provider does not check it)', async () => {
    const fresh = await oidc.login('public', { dpopProof: owner.dpopProof, dpopJkt: owner.jkt });
    assert.equal(tokenJkt(fresh.access_token), owner.jkt, 'dpop_jkt bound the code to the same key');
    assert.equal(await oidc.revokeWithProof(fresh.refresh_token, 'public', owner.dpopProof), 200);
    const entry = oidc.revocationLog.at(-1);
    assert.deepEqual([decodeProof(entry.dpop).payload.htu, decodeProof(entry.dpop).jkt], [oidc.revocationEndpoint, owner.jkt]);
    assert.equal(await oidc.refreshTokenActive(fresh.refresh_token), false);
    const after = await oidc.refreshWithProof(fresh.refresh_token, 'public', owner.dpopProof);
    assert.deepEqual([after.status, after.body.error], [400, 'invalid_grant']);

    const other = await oidc.login('public', { dpopProof: owner.dpopProof });
    assert.equal(await oidc.revokeDirect(other.refresh_token, 'public'), 200, 'a revocation without a proof is accepted too');
    assert.equal(await oidc.refreshTokenActive(other.refresh_token), false);
  });

  await t.test('the token endpoint: a made-up nonce gets use_dpop_nonce and a fresh one; the switch turns nonces off', async () => {
    const fresh = await oidc.login('public', { dpopProof: owner.dpopProof });
    const init = oidc.clientForm('public', { grant_type: 'refresh_token', refresh_token: fresh.refresh_token });
    const res = await call(oidc.tokenEndpoint, { ...init, headers: { ...init.headers, dpop: await owner.proof('POST', oidc.tokenEndpoint, { nonce: 'made-up' }) } });
    assert.deepEqual([res.status, (await res.json()).error], [400, 'use_dpop_nonce']);
    assert.ok(res.headers.get('dpop-nonce'));
    oidc.requireTokenNonce(false);
    const without = await oidc.refreshWithProof(fresh.refresh_token, 'public', (m, u) => owner.proof(m, u));
    assert.deepEqual([without.status, without.nonceRetried], [200, false]);
    oidc.requireTokenNonce(true);
  });
});
