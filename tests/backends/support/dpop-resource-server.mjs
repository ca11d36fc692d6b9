// A resource server that takes DPoP-bound JWT access tokens and checks every request the way
// RFC 9449 says (node:http on 127.0.0.1, random port). The checks, in this order (section 4.3's),
// each named as the log's `check` names it when it fails:
//   authorization  `Authorization: DPoP <token>` (section 7.1), or `Bearer <token>` (then only
//                  token and bearer_bound apply)
//   proof          exactly one `DPoP` header holding one compact JWS (4.3 steps 1-2)
//   typ, alg, jwk  header typ "dpop+jwt", alg ES256, a public P-256 `jwk` without private members
//                  (4.2; 4.3 steps 4, 5, 7)
//   signature      by that jwk (4.3 step 6)
//   claims         jti, htm, htu strings and an iat number (4.2, 4.3 step 3)
//   htm, htu       the request's method, and its URI (http://<Host><path>) against htu without
//                  query and fragment, both as URLs normalize them (4.3 steps 8-9)
//   nonce          this server's current nonce or the one before it (section 9, 4.3 step 10);
//                  missing or older: 401 `WWW-Authenticate: DPoP error="use_dpop_nonce"` with a
//                  `DPoP-Nonce` header. A success with the previous one carries the current one in
//                  `DPoP-Nonce` (section 8.2). New nonces: rotateNonce(), and every `nonceEvery`
//                  accepted requests
//   iat            within `iatWindow` seconds of now, either way (4.3 step 11, section 11.1)
//   ath            base64url(SHA-256(access token)) (4.3 step 12, section 7)
//   token          a JWT (typ at+jwt) signed with the provider's JWKS: issuer, audience, exp
//   unbound        a token without cnf.jkt sent as DPoP (section 7.1)
//   jkt            the jwk's RFC 7638 thumbprint equals the token's cnf.jkt (6.1; 4.3 step 12)
//   bearer_bound   a token with cnf.jkt sent as Bearer (section 7.2: "MUST reject")
//   jti            never seen before on an accepted request (section 11.1: the replay cache)
// Refusals are 401 with `WWW-Authenticate: DPoP error="invalid_dpop_proof"` (proof to ath, jti) or
// `error="invalid_token"` (token, unbound, jkt, bearer_bound, a malformed Authorization), with
// error_description and algs="ES256" (section 7.1); no Authorization at all gets `DPoP
// algs="ES256"` without an error (RFC 6750 section 3.1). Any path passing the checks answers 200
// { sub, path, method }. CORS for any origin (browser tests call it cross-origin): preflights
// allow the headers asked for, answers expose WWW-Authenticate and DPoP-Nonce.
//
// `log` gets one entry per request (preflights aside), for assertions: { method, path, scheme
// ('DPoP' | 'Bearer' | null), status, check (the failed one, or null), error, nonce ('none' |
// 'current' | 'previous' | 'stale', null when not reached), jkt (the proof key's thumbprint),
// tokenJkt (the token's cnf.jkt), tokenHash (the ath of the token sent: compare with
// tokenHash(token)), jti, sub, at }. It never holds a token string.
import { createServer } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { compactVerify, createRemoteJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';

const b64u = (buf) => Buffer.from(buf).toString('base64url');

/** base64url(SHA-256(token)): a proof's `ath`, and how logs name a token without holding it. */
export const tokenHash = (token) => createHash('sha256').update(token).digest('base64url');

/** The RFC 7638 thumbprint (SHA-256, base64url) of an EC or RSA public JWK. */
export function jwkThumbprint(jwk) {
  const members = jwk.kty === 'EC' ? { crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** A proof's { header, payload, jkt } without verifying it (for assertions on logged proofs). */
export function decodeProof(jws) {
  const [h, p] = String(jws).split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return { header, payload, jkt: header.jwk ? jwkThumbprint(header.jwk) : null };
}

class Refusal extends Error {
  constructor(check, error, description) {
    super(description);
    this.check = check;
    this.error = error;
  }
}
const proofError = (check, description) => new Refusal(check, 'invalid_dpop_proof', description);
const tokenError = (check, description) => new Refusal(check, 'invalid_token', description);

/**
 * @param {{ issuer: string, audience: string, jwksUrl: string, requireNonce?: boolean,
 *   nonceEvery?: number, iatWindow?: number }} options
 *   nonceEvery: rotate the nonce after this many accepted requests (0: only by rotateNonce()).
 */
export async function startDpopResourceServer({ issuer, audience, jwksUrl, requireNonce = true, nonceEvery = 0, iatWindow = 60 }) {
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const newNonce = () => b64u(randomBytes(16));
  const st = { requireNonce, nonce: newNonce(), previous: null, accepted: 0 };
  const seenJti = new Set();
  const log = [];
  const sockets = new Set();

  function rotateNonce() {
    st.previous = st.nonce;
    st.nonce = newNonce();
  }

  async function check(req, url, entry) {
    const auth = req.headers.authorization || '';
    const m = /^(DPoP|Bearer) +([A-Za-z0-9\-._~+/]+=*)$/i.exec(auth);
    if (!m) throw auth ? tokenError('authorization', 'malformed Authorization header') : new Refusal('authorization', null, '');
    entry.scheme = m[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = m[2];
    entry.tokenHash = tokenHash(token);
    const verifyToken = async () => {
      try {
        return (await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt', clockTolerance: 0 })).payload;
      } catch (e) {
        throw tokenError('token', `the access token is not valid (${e.code || e.name})`);
      }
    };

    if (entry.scheme === 'Bearer') {
      const claims = await verifyToken();
      entry.tokenJkt = claims.cnf?.jkt ?? null;
      if (entry.tokenJkt) throw tokenError('bearer_bound', 'a DPoP-bound access token sent as Bearer');
      return claims;
    }

    // The proof (section 4.3)
    const values = req.headersDistinct.dpop ?? [];
    if (values.length !== 1 || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(values[0])) throw proofError('proof', 'one DPoP header with one JWS is required');
    const proof = values[0];
    let header;
    try { header = decodeProtectedHeader(proof); } catch { throw proofError('proof', 'the DPoP proof is not a JWS'); }
    if (header.typ !== 'dpop+jwt') throw proofError('typ', 'typ must be dpop+jwt');
    if (header.alg !== 'ES256') throw proofError('alg', 'alg must be ES256');
    const jwk = header.jwk;
    if (!jwk || typeof jwk !== 'object' || jwk.kty !== 'EC' || jwk.crv !== 'P-256' || 'd' in jwk) throw proofError('jwk', 'jwk must be a public P-256 key');
    entry.jkt = jwkThumbprint(jwk);
    let payload;
    try {
      const { payload: bytes } = await compactVerify(proof, await importJWK(jwk, 'ES256'));
      payload = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      throw proofError('signature', 'the DPoP proof signature does not verify');
    }
    const { jti, htm, htu, iat, ath, nonce } = payload;
    entry.jti = typeof jti === 'string' ? jti : null;
    if (!entry.jti || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') throw proofError('claims', 'jti, htm, htu and iat are required');
    if (htm !== req.method) throw proofError('htm', 'htm does not match the request method');
    const expected = new URL(`http://${req.headers.host}${url.pathname}`).href;
    const actual = URL.parse(htu);
    if (actual) { actual.search = ''; actual.hash = ''; }
    if (actual?.href !== expected) throw proofError('htu', 'htu does not match the request URI');

    entry.nonce = nonce === undefined ? 'none' : nonce === st.nonce ? 'current' : nonce === st.previous ? 'previous' : 'stale';
    if (st.requireNonce && (entry.nonce === 'none' || entry.nonce === 'stale')) {
      throw new Refusal('nonce', 'use_dpop_nonce', 'Resource server requires nonce in DPoP proof');
    }
    if (Math.abs(Date.now() / 1000 - iat) > iatWindow) throw proofError('iat', 'iat is not recent enough');
    if (ath !== entry.tokenHash) throw proofError('ath', 'ath does not match the access token');

    // The token and its binding (sections 6.1, 7.1)
    const claims = await verifyToken();
    entry.tokenJkt = claims.cnf?.jkt ?? null;
    if (!entry.tokenJkt) throw tokenError('unbound', 'the access token is not DPoP-bound');
    if (entry.tokenJkt !== entry.jkt) throw tokenError('jkt', 'Invalid DPoP key binding');

    // Replay (section 11.1)
    if (seenJti.has(jti)) throw proofError('jti', 'the DPoP proof was used before');
    seenJti.add(jti);
    return claims;
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.headers.origin) res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'Date, WWW-Authenticate, DPoP-Nonce');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || 'Authorization, DPoP, Content-Type',
        'Access-Control-Allow-Methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS',
        'Access-Control-Max-Age': '0',
      });
      return res.end();
    }
    req.resume(); // a body is not read
    const entry = {
      method: req.method, path: url.pathname, scheme: null, status: 0, check: null, error: null,
      nonce: null, jkt: null, tokenJkt: null, tokenHash: null, jti: null, sub: null, at: Date.now(),
    };
    log.push(entry);
    const answer = (status, value, headers = {}) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    let claims;
    try {
      claims = await check(req, url, entry);
    } catch (e) {
      if (!(e instanceof Refusal)) {
        entry.check = 'internal';
        return answer(500, { error: 'server_error' });
      }
      entry.check = e.check;
      entry.error = e.error;
      const challenge = e.error ? `DPoP error="${e.error}", error_description="${e.message}", algs="ES256"` : 'DPoP algs="ES256"';
      return answer(401, e.error ? { error: e.error, error_description: e.message } : {}, {
        'www-authenticate': challenge,
        ...(e.error === 'use_dpop_nonce' ? { 'dpop-nonce': st.nonce } : {}),
      });
    }
    entry.sub = claims.sub;
    const headers = entry.nonce === 'previous' ? { 'dpop-nonce': st.nonce } : {};
    if (entry.scheme === 'DPoP' && nonceEvery > 0 && ++st.accepted % nonceEvery === 0) rotateNonce();
    return answer(200, { sub: claims.sub, path: url.pathname, method: req.method }, headers);
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    /** The nonce a proof must carry now. */
    get nonce() { return st.nonce; },
    /** A new nonce; the one it replaces is still accepted (once more stale after the next). */
    rotateNonce,
    /** Whether proofs must carry this server's nonce (on by default). */
    requireNonce(on) { st.requireNonce = on; },
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
