// The Rust signer's exports (crates/dpop: P-256 key pairs and ES256 signatures) as js/dpop.js
// uses them where there is no WebCrypto. Its boundary is the core's (src/lib.rs): `buf(len)`
// makes room for an input of `len` bytes and says where; each call answers its length there
// (negated: the buffer moved; 0: refused).
import { b64url } from './dpop.js';

/** `{ generate(), sign(d, message) }` over the module's exports. */
export function signerOf(exports) {
  const put = (bytes) => {
    const at = exports.buf(bytes.length);
    new Uint8Array(exports.memory.buffer).set(bytes, at);
    return bytes.length;
  };
  const take = (n) => {
    const at = exports.buf(0);
    return new Uint8Array(exports.memory.buffer).slice(at, at + Math.abs(n));
  };
  return {
    /** A new private JWK's `{ d, x, y }` from crypto.getRandomValues (again for the rare 32
     * bytes that are no P-256 key). */
    generate() {
      for (let i = 0; i < 16; i++) {
        const n = exports.keypair(put(globalThis.crypto.getRandomValues(new Uint8Array(32))));
        if (n !== 0) {
          const pair = take(n);
          return { d: b64url(pair.subarray(0, 32)), x: b64url(pair.subarray(32, 64)), y: b64url(pair.subarray(64, 96)) };
        }
      }
      throw new Error('authlane/dpop: no key pair from crypto.getRandomValues');
    },
    /** The ES256 signature (r ‖ s) of `message` (bytes) with the private key `d` (32 bytes). */
    sign(d, message) {
      const input = new Uint8Array(32 + message.length);
      input.set(d);
      input.set(message, 32);
      const n = exports.sign(put(input));
      if (n === 0) throw new Error('authlane/dpop: this private key cannot sign');
      return take(n);
    },
  };
}
