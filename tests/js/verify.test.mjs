// verifyJwt against tokens signed by an independent implementation (jose), keys generated here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { verifyJwt, isAuthlaneError } from 'authlane';

const now = Math.floor(Date.now() / 1000);
const sign = (claims, alg, key, header = {}) =>
  new jose.SignJWT({ sub: 'user-1', name: 'Zoë', ...claims }).setProtectedHeader({ alg, ...header }).sign(key);

async function rejects(promise, code, reason) {
  let error;
  try { await promise; } catch (e) { error = e; }
  assert.ok(isAuthlaneError(error), `expected ${code}/${reason}, got ${error}`);
  assert.equal(error.code, code);
  if (reason) assert.equal(error.reason, reason);
  return error;
}

test('HS256/384/512 with a secret string', async () => {
  const secret = 'a-shared-secret-of-some-length-0123456789';
  for (const alg of ['HS256', 'HS384', 'HS512']) {
    const token = await sign({ exp: now + 60 }, alg, new TextEncoder().encode(secret));
    const payload = await verifyJwt(token, { key: secret, algorithms: [alg] });
    assert.equal(payload.name, 'Zoë');
  }
});

for (const alg of ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA']) {
  test(`${alg} with a JWK, and the failures`, async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true, ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
    const jwk = await jose.exportJWK(publicKey);
    const token = await sign({ exp: now + 60, iss: 'https://id.example', aud: ['api'] }, alg, privateKey);
    const payload = await verifyJwt(token, { key: jwk, algorithms: [alg], issuer: 'https://id.example', audience: 'api' });
    assert.equal(payload.sub, 'user-1');

    const [h, p, s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ sub: 'admin', exp: now + 60 })).toString('base64url')}.${s}`;
    await rejects(verifyJwt(forged, { key: jwk, algorithms: [alg] }), 'SIGNATURE_INVALID', 'signature');
    await rejects(verifyJwt(token, { key: jwk, algorithms: ['HS256'] }), 'SIGNATURE_INVALID', 'algorithm');
    await rejects(verifyJwt(token, { key: jwk, algorithms: [alg], issuer: 'https://other' }), 'SIGNATURE_INVALID', 'issuer');
    await rejects(verifyJwt(token, { key: jwk, algorithms: [alg], audience: ['web'] }), 'SIGNATURE_INVALID', 'audience');
    const expired = await sign({ exp: now - 120 }, alg, privateKey);
    await rejects(verifyJwt(expired, { key: jwk, algorithms: [alg] }), 'SIGNATURE_INVALID', 'expired');
    assert.equal((await verifyJwt(expired, { key: jwk, algorithms: [alg], leewaySeconds: 600 })).sub, 'user-1');
    const early = await sign({ nbf: now + 600 }, alg, privateKey);
    await rejects(verifyJwt(early, { key: jwk, algorithms: [alg] }), 'SIGNATURE_INVALID', 'notBefore');
    assert.ok(p);
  });
}

test('a JWKS with several keys is matched by kid; an unknown kid is reason "key"', async () => {
  const keys = [];
  const signers = {};
  for (const [kid, alg] of [['rsa-1', 'RS256'], ['ec-1', 'ES256'], ['rsa-2', 'RS256']]) {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await jose.exportJWK(publicKey)), kid, alg, use: 'sig' });
    signers[kid] = { alg, privateKey };
  }
  for (const kid of Object.keys(signers)) {
    const { alg, privateKey } = signers[kid];
    const token = await sign({ kid_was: kid }, alg, privateKey, { kid });
    assert.equal((await verifyJwt(token, { key: { keys }, algorithms: ['RS256', 'ES256'] })).kid_was, kid);
  }
  const other = await sign({}, 'RS256', signers['rsa-1'].privateKey, { kid: 'gone' });
  await rejects(verifyJwt(other, { key: { keys }, algorithms: ['RS256'] }), 'SIGNATURE_INVALID', 'key');
  // Signed by rsa-2's key but claiming rsa-1: the signature check fails.
  const swapped = await sign({}, 'RS256', signers['rsa-2'].privateKey, { kid: 'rsa-1' });
  await rejects(verifyJwt(swapped, { key: { keys }, algorithms: ['RS256'] }), 'SIGNATURE_INVALID', 'signature');
});

test('alg "none", malformed tokens and bad options', async () => {
  const unsecured = new jose.UnsecuredJWT({ sub: 'x' }).encode();
  await rejects(verifyJwt(unsecured, { key: 'secret', algorithms: ['HS256'] }), 'SIGNATURE_INVALID', 'algorithm');
  await rejects(verifyJwt('not-a-jwt', { key: 'secret', algorithms: ['HS256'] }), 'INVALID_TOKEN');
  await rejects(verifyJwt(42, { key: 'secret', algorithms: ['HS256'] }), 'INVALID_TOKEN');
  const token = await sign({}, 'HS256', new TextEncoder().encode('secret'));
  await rejects(verifyJwt(token, { key: 'secret', algorithms: [] }), 'INVALID_CONFIG');
  await rejects(verifyJwt(token, { key: 'secret', algorithms: ['HS1'] }), 'INVALID_CONFIG');
  await rejects(verifyJwt(token, { algorithms: ['HS256'] }), 'INVALID_CONFIG');
  const e = await rejects(verifyJwt(token, { key: 'wrong', algorithms: ['HS256'] }), 'SIGNATURE_INVALID', 'signature');
  assert.ok(!e.message.includes(token) && !e.message.includes('wrong'), 'no token or key in the message');
});
