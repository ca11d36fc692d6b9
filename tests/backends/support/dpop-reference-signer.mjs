// A reference DPoP signer for the tests (RFC 9449 section 4.2), on Node's WebCrypto: a P-256 key
// pair and ES256 proofs. Not authlane's: it tests the test servers (dpop-servers.test.mjs) and
// plays the thief who holds a stolen token but not the key. Its options make bad proofs on purpose.
import { randomBytes } from 'node:crypto';
import { jwkThumbprint, tokenHash } from './dpop-resource-server.mjs';

const { subtle } = globalThis.crypto;
const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A new key pair: { jwk (public), privateJwk, jkt (RFC 7638 thumbprint), proof, dpopProof }. */
export async function createReferenceSigner() {
  const keys = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const { kty, crv, x, y } = await subtle.exportKey('jwk', keys.publicKey);
  const jwk = { kty, crv, x, y };
  const latest = new Map(); // origin -> the latest nonce dpopProof was given

  /**
   * A `DPoP` header value for `method` and `url` (htu: without query and fragment).
   * @param {{ nonce?: string, accessToken?: string, iat?: number, jti?: string,
   *   header?: object, claims?: object, badSignature?: boolean }} [options]
   *   accessToken gives `ath`; header and claims are merged over the right ones (a member set to
   *   undefined drops it); badSignature flips a bit of the signature.
   */
  async function proof(method, url, { nonce, accessToken, iat, jti, header = {}, claims = {}, badSignature = false } = {}) {
    const htu = new URL(url);
    htu.search = '';
    htu.hash = '';
    const input = `${part({ typ: 'dpop+jwt', alg: 'ES256', jwk, ...header })}.${part({
      jti: jti ?? randomBytes(16).toString('base64url'),
      htm: method,
      htu: htu.href,
      iat: iat ?? Math.floor(Date.now() / 1000),
      ...(nonce !== undefined ? { nonce } : {}),
      ...(accessToken !== undefined ? { ath: tokenHash(accessToken) } : {}),
      ...claims,
    })}`;
    const signature = Buffer.from(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, keys.privateKey, Buffer.from(input)));
    if (badSignature) signature[7] ^= 1;
    return `${input}.${signature.toString('base64url')}`;
  }

  return {
    jwk,
    privateJwk: await subtle.exportKey('jwk', keys.privateKey),
    jkt: jwkThumbprint(jwk),
    proof,
    /** The shape of authlane's `client.dpopProof(method, url, { nonce }?)`: without a nonce, the
     *  latest one it was given for that URL's origin. */
    dpopProof(method, url, { nonce } = {}) {
      const origin = new URL(url).origin;
      if (nonce !== undefined) latest.set(origin, nonce);
      return proof(method, url, { nonce: latest.get(origin) });
    },
  };
}
