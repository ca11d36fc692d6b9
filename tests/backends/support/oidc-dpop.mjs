// oidc-provider (oidc.mjs's setup) with DPoP (RFC 9449) on and nonces required, a resource server
// that checks every proof (dpop-resource-server.mjs), and an app's login, refresh and revocation
// with proofs, for authlane's DPoP tests.
//
// The provider (oidc-provider 9.13.3), on top of oidc.mjs's configuration (code + PKCE, refresh
// token rotation, RFC 7009 revocation, JWT access tokens for one resource, short and adjustable):
//   features.dPoP = { enabled: true, nonceSecret: <32 random bytes>, requireNonce: () => true }
//     (requireNonce follows requireTokenNonce()). nonceSecret makes the provider issue nonces (an HKDF of the secret and the minute: a nonce
//     lives about 3 to 4 minutes); requireNonce makes a proof without one fail with 400
//     `use_dpop_nonce` and a `DPoP-Nonce` header (RFC 9449 section 8). allowReplay stays false:
//     a proof's jti is accepted once per client (section 11.1).
//   `dpop_bound_access_tokens: true` (section 5.2) for "public" and "basic": their token requests
//     without a proof fail (invalid_grant) instead of giving a Bearer token. "post"
//     (client_secret_post) has it false: without a proof it gets plain Bearer tokens.
//   The public client ("public", token_endpoint_auth_method none): oidc-provider binds its refresh
//     tokens to the proof's key (the refresh token keeps the key's jkt, as section 5 asks for public
//     clients) and each rotation keeps the binding; a refresh with another key or no proof is
//     `invalid_grant` and consumes nothing. The confidential clients ("basic", client_secret_basic;
//     "post" with a proof): only the access token is bound, the refresh token is bound to the
//     client's authentication (section 5), so a refresh with a new key gives a token bound to it.
//   Access tokens: JWTs (typ at+jwt) with `cnf.jkt`, the key's RFC 7638 thumbprint (section 6.1),
//     and `token_type: "DPoP"` in the token response (section 5.1).
//   clientBasedCORS: any origin (browser tests call the token endpoint from their own origin; the
//     token endpoint exposes DPoP-Nonce and WWW-Authenticate).
//   The revocation endpoint does not read DPoP proofs at all in 9.13.3 (RFC 9449 defines none for
//     it): revocationLog's `dpop` shows what the client sent.
//
// Logs: oidc.mjs's tokenLog (with `dpop`, the proof sent, and `dpopNonce`, the nonce answered),
// revocationLog and issued, and dpopApi.log (see dpop-resource-server.mjs). Tokens go to the token
// scan as in oidc.mjs; logs hold token strings only where oidc.mjs's do (form, issued).
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { startOidc } from './oidc.mjs';
import { startDpopResourceServer } from './dpop-resource-server.mjs';

export { decodeProof, jwkThumbprint, tokenHash } from './dpop-resource-server.mjs';

const call = (url, init = {}) => fetch(url, { signal: AbortSignal.timeout(10000), ...init });

/** The `cnf.jkt` of a JWT access token, or null. */
export const tokenJkt = (accessToken) => decodeJwt(accessToken).cnf?.jkt ?? null;

/**
 * Starts the provider and the resource server.
 * @param {{ accessTtl?: number, tokenNonce?: boolean, apiNonce?: boolean, nonceEvery?: number,
 *   iatWindow?: number }} [options]
 *   tokenNonce / apiNonce: whether the token endpoint / the resource server require nonces
 *   (both on; switch later with requireTokenNonce / dpopApi.requireNonce); nonceEvery, iatWindow:
 *   the resource server's (dpop-resource-server.mjs).
 */
export async function startOidcDpop({ accessTtl = 300, tokenNonce = true, apiNonce = true, nonceEvery = 0, iatWindow = 60 } = {}) {
  const st = { tokenNonce };
  const oidc = await startOidc({
    accessTokenFormat: 'jwt',
    accessTtl,
    configure(configuration) {
      configuration.features.dPoP = { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => st.tokenNonce };
      configuration.clients = configuration.clients.map((c) => (c.redirect_uris.length
        ? { ...c, dpop_bound_access_tokens: c.token_endpoint_auth_method !== 'client_secret_post' } : c));
      configuration.clientBasedCORS = () => true;
    },
  });
  const dpopApi = await startDpopResourceServer({
    issuer: oidc.issuer, audience: oidc.resource, jwksUrl: `${oidc.issuer}/jwks`, requireNonce: apiNonce, nonceEvery, iatWindow,
  });

  /** A form POST with a DPoP proof from dpopProof(method, url, { nonce }?) (none when null); on
   *  400 use_dpop_nonce with a DPoP-Nonce, once more with a new proof for that nonce.
   *  Resolves { status, body, nonce (the DPoP-Nonce answered), nonceRetried }. */
  async function withProof(url, init, dpopProof) {
    const send = async (nonce) => {
      const proof = dpopProof && await (nonce === undefined ? dpopProof('POST', url) : dpopProof('POST', url, { nonce }));
      const res = await call(url, { ...init, headers: { ...init.headers, ...(proof ? { dpop: proof } : {}) } });
      const text = await res.text();
      let body = null;
      try { body = text ? JSON.parse(text) : null; } catch {}
      return { status: res.status, body, nonce: res.headers.get('dpop-nonce') };
    };
    const first = await send();
    const again = dpopProof && first.status === 400 && first.body?.error === 'use_dpop_nonce' && first.nonce;
    if (!again) return { ...first, nonceRetried: false };
    return { ...(await send(first.nonce)), nonceRetried: true };
  }

  const close = oidc.close;
  return Object.assign(oidc, {
    dpopApi,

    /** Whether the token endpoint requires nonces (on by default). */
    requireTokenNonce(on) { st.tokenNonce = on; },

    /**
     * The first login as an app does it with DPoP: the authorization request with PKCE (and
     * `dpop_jkt` when given, section 10), the login and consent forms, then the code exchange with
     * a `DPoP` header from `dpopProof`, asked again with the nonce after a `use_dpop_nonce`.
     * Resolves with the token response for `client.login()` (token_type "DPoP"); throws otherwise.
     * `dpopProof: null` sends no proof and expects a Bearer token ("post" client only).
     */
    async login(clientName = 'public', { dpopProof, dpopJkt, ...options } = {}) {
      if (dpopProof !== null && typeof dpopProof !== 'function') throw new TypeError('login: dpopProof(method, url, { nonce }?) is required');
      const { code, codeVerifier, redirectUri, resource } = await oidc.authorizationCode(clientName, {
        ...options, ...(dpopJkt ? { params: { dpop_jkt: dpopJkt } } : {}),
      });
      const { status, body } = await withProof(oidc.tokenEndpoint, oidc.clientForm(clientName, {
        grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: codeVerifier, resource,
      }), dpopProof);
      if (status !== 200) throw new Error(`login: the code exchange answered ${status} ${body?.error}: ${body?.error_description}`);
      const expected = dpopProof ? 'DPoP' : 'Bearer';
      if (body.token_type !== expected) throw new Error(`login: token_type ${body.token_type}, not ${expected}`);
      return body;
    },

    /** A refresh grant sent by the test with a proof: { status, body, nonce (the DPoP-Nonce
     *  answered), nonceRetried }. `dpopProof` may be null (no DPoP header). */
    refreshWithProof(refreshToken, clientName = 'public', dpopProof = null) {
      return withProof(oidc.tokenEndpoint, oidc.clientForm(clientName, { grant_type: 'refresh_token', refresh_token: refreshToken }), dpopProof);
    },

    /** An RFC 7009 revocation with a proof (which oidc-provider ignores): the status. */
    async revokeWithProof(token, clientName = 'public', dpopProof, hint = 'refresh_token') {
      return (await withProof(oidc.revocationEndpoint, oidc.clientForm(clientName, { token, token_type_hint: hint }), dpopProof)).status;
    },

    async close() {
      await dpopApi.close();
      await close();
    },
  });
}
