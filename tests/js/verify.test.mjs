// verifyJwt against tokens signed by an independent implementation (jose), keys generated here:
// `authlane`'s (its module loaded on the first call) and `authlane/verify`'s (loaded at import), as
// ES module and CommonJS.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as jose from 'jose';
import { AuthlaneError, isAuthlaneError } from 'authlane';

const require = createRequire(import.meta.url);
const ENTRIES = {
  "import { verifyJwt } from 'authlane'": async () => (await import('authlane')).verifyJwt,
  "import { verifyJwt } from 'authlane/verify'": async () => (await import('authlane/verify')).verifyJwt,
  "require('authlane/verify')": async () => require('authlane/verify').verifyJwt,
};

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

for (const [entry, load] of Object.entries(ENTRIES)) describe(entry, () => {
  let verifyJwt;
  before(async () => { verifyJwt = await load(); });

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
});

/** Runs `code` (an ES module) in a child Node that counts wasm instances; returns its last line. */
function inChild(code) {
  const script = `
    globalThis.instances = 0;
    const Instance = WebAssembly.Instance;
    WebAssembly.Instance = function (...args) { globalThis.instances++; return new Instance(...args); };
    ${code}`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: fileURLToPath(new URL('../', import.meta.url)), timeout: 30000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').at(-1);
}

test("authlane/verify: verifyJwt alone, from inline/verify-entry.js (import; the `node` condition) and cjs/verify-entry.js (require); its errors are authlane's", async () => {
  const esm = await import('authlane/verify');
  assert.deepEqual(Object.keys(esm), ['verifyJwt']);
  assert.match(import.meta.resolve('authlane/verify'), /\/node_modules\/authlane\/inline\/verify-entry\.js$/);
  assert.deepEqual(Object.keys(require('authlane/verify')), ['verifyJwt']);
  assert.match(require.resolve('authlane/verify'), /\/node_modules\/authlane\/cjs\/verify-entry\.js$/);
  let error;
  try { await esm.verifyJwt('not-a-jwt', { key: 'secret', algorithms: ['HS256'] }); } catch (e) { error = e; }
  assert.ok(error instanceof AuthlaneError, 'the AuthlaneError class of authlane (one copy of errors.js)');
  assert.equal(error.code, 'INVALID_TOKEN');
});

test("authlane/verify instantiates its module at import; authlane's verifyJwt then uses that same instance", () => {
  const check = (load) => inChild(`
    const secret = 'a-shared-secret-of-some-length-0123456789';
    const { createHmac } = await import('node:crypto');
    const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const signed = part({ alg: 'HS256' }) + '.' + part({ sub: 'user-1' });
    const token = signed + '.' + createHmac('sha256', secret).update(signed).digest('base64url');
    const counts = [];
    const main = await import('authlane');
    counts.push(instances); // the core
    const entry = ${load};
    counts.push(instances); // + the verification module, before any call
    counts.push((await entry.verifyJwt(token, { key: secret, algorithms: ['HS256'] })).sub);
    counts.push((await main.verifyJwt(token, { key: secret, algorithms: ['HS256'] })).sub);
    counts.push(instances); // still two
    console.log(JSON.stringify(counts));`);
  assert.equal(check("await import('authlane/verify')"), JSON.stringify([1, 2, 'user-1', 'user-1', 2]), 'ES modules');
  // CommonJS: require's authlane is another build (cjs/), with its own core; its verify-entry loads at require.
  assert.equal(inChild(`
    const { createRequire } = await import('node:module');
    const require = createRequire(process.cwd() + '/x.cjs');
    const main = require('authlane');
    const before = instances;
    require('authlane/verify');
    const after = instances;
    await main.verifyJwt('x.y.z', { key: 'k', algorithms: ['HS256'] }).catch((e) => e.code);
    console.log(JSON.stringify([before, after, instances]));`), JSON.stringify([1, 2, 2]), 'CommonJS');
});
