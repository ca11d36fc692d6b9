// DPoP's key pair and signatures (RFC 9449), as the core asks for them: the core decides when a
// proof is needed and what it says; this performs the key's keeping and the signing.
// - With WebCrypto (browsers, Node, Deno, Bun): a P-256 key pair whose private key is not
//   extractable, kept in IndexedDB where there is one (named from the storage key, so that every
//   tab and a reload use the same key), else in memory; or, with `dpop.keyStore`, a private JWK
//   the app keeps (React Native's keychain).
// - Without it (React Native's Hermes): the Rust signer that `authlane/dpop` registers.

const ALG = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGN = { name: 'ECDSA', hash: 'SHA-256' };
/** Where `authlane/dpop` registers the Rust signer (engines without WebCrypto). */
const REGISTERED = Symbol.for('authlane.dpop');

const encoder = () => new TextEncoder();

function b64url(bytes) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += abc[n >> 18] + abc[(n >> 12) & 63];
    if (i + 1 < bytes.length) out += abc[(n >> 6) & 63];
    if (i + 2 < bytes.length) out += abc[n & 63];
  }
  return out;
}

function unb64url(text) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const out = [];
  let bits = 0;
  let value = 0;
  for (const c of text) {
    const v = abc.indexOf(c);
    if (v < 0) throw new TypeError('not base64url');
    value = (value << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 255);
    }
  }
  return new Uint8Array(out);
}

const subtle = () => (globalThis.crypto && globalThis.crypto.subtle) || null;

/** A key the client signs with: `sign(text)` resolves with the base64url signature; `jwk` is
 * the public key `{ x, y }`. */
async function webCryptoKey(pair) {
  const jwk = await subtle().exportKey('jwk', pair.publicKey);
  return {
    x: jwk.x,
    y: jwk.y,
    sign: async (text) => b64url(new Uint8Array(await subtle().sign(SIGN, pair.privateKey, encoder().encode(text)))),
  };
}

/** A new key pair, its private key not extractable. */
const generate = () => subtle().generateKey(ALG, false, ['sign', 'verify']);

/** IndexedDB, one database per storage key, one record: the key pair (CryptoKeys are kept as
 * they are; the private key never leaves the browser's key store). */
function indexedDbStore(name) {
  const idb = globalThis.indexedDB;
  const open = () => new Promise((resolve, reject) => {
    const req = idb.open(name, 1);
    req.onupgradeneeded = () => req.result.createObjectStore('keys');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const run = async (mode, work) => {
    const db = await open();
    try {
      return await new Promise((resolve, reject) => {
        const tx = db.transaction('keys', mode);
        const store = tx.objectStore('keys');
        let result;
        work(store, (value) => { result = value; });
        tx.oncomplete = () => resolve(result);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
    } finally {
      db.close();
    }
  };
  return {
    /** The stored pair, or `candidate` stored now when there was none (one transaction: two tabs
     * starting at once end with the same pair). */
    loadOr: (candidate) => run('readwrite', (store, done) => {
      const get = store.get('pair');
      get.onsuccess = () => {
        if (get.result) return done(get.result);
        store.put(candidate, 'pair');
        return done(candidate);
      };
    }),
    /** Replaces the pair (a new session's key). */
    replace: (pair) => run('readwrite', (store) => store.put(pair, 'pair')),
  };
}

/** An app's keyStore ({ load, save, remove } of a private JWK), with WebCrypto or the signer. */
function appStore(keyStore, signer) {
  const fromJwk = async (jwk) => {
    if (signer === null) {
      const privateKey = await subtle().importKey('jwk', jwk, ALG, false, ['sign']);
      return { x: jwk.x, y: jwk.y, sign: async (text) => b64url(new Uint8Array(await subtle().sign(SIGN, privateKey, encoder().encode(text)))) };
    }
    const d = unb64url(jwk.d);
    return { x: jwk.x, y: jwk.y, sign: async (text) => b64url(signer.sign(d, encoder().encode(text))) };
  };
  const make = async () => {
    let jwk;
    if (signer === null) {
      const pair = await subtle().generateKey(ALG, true, ['sign', 'verify']);
      jwk = await subtle().exportKey('jwk', pair.privateKey);
    } else {
      jwk = signer.generate();
    }
    const keep = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d };
    await keyStore.save(keep);
    return keep;
  };
  return {
    async load() {
      const jwk = await keyStore.load();
      return fromJwk(jwk && typeof jwk === 'object' && typeof jwk.d === 'string' ? jwk : await make());
    },
    async replace() {
      await keyStore.remove();
      return fromJwk(await make());
    },
  };
}

/** The Rust signer in memory (React Native without a keyStore). */
function signerInMemory(signer) {
  const make = () => {
    const jwk = signer.generate();
    const d = unb64url(jwk.d);
    return { x: jwk.x, y: jwk.y, sign: async (text) => b64url(signer.sign(d, encoder().encode(text))) };
  };
  let key = null;
  return {
    load: async () => (key ??= make()),
    replace: async () => (key = make()),
  };
}

/**
 * The key keeper for `dpop` (`true` or `{ keyStore }`): `load()` and `replace()` resolve with
 * `{ x, y, sign(text) }`. Throws where nothing can sign (the options check has said so already).
 */
export function dpopKeys(dpop, storageKey) {
  const keyStore = dpop !== null && typeof dpop === 'object' ? dpop.keyStore : undefined;
  const registered = globalThis[REGISTERED];
  const signer = subtle() ? null : registered ? registered.signer() : undefined;
  if (signer === undefined) throw new Error('authlane: no WebCrypto and no authlane/dpop signer');
  if (keyStore) return appStore(keyStore, signer);
  if (signer !== null) return signerInMemory(signer);
  if (typeof globalThis.indexedDB === 'object' && globalThis.indexedDB !== null) {
    const store = indexedDbStore(`${storageKey}.dpop`);
    return {
      load: async () => webCryptoKey(await store.loadOr(await generate())),
      async replace() {
        const pair = await generate();
        await store.replace(pair);
        return webCryptoKey(pair);
      },
    };
  }
  let pair = null;
  return {
    load: async () => webCryptoKey((pair ??= await generate())),
    replace: async () => webCryptoKey((pair = await generate())),
  };
}

export { b64url, unb64url };
