// A real OpenID provider for the backend tests: panva's oidc-provider (pinned in
// tests/backends/package.json), in-process on 127.0.0.1 (random port), the way Auth0, Keycloak or
// Okta behave: authorization code + PKCE, refresh token rotation (a reused refresh token revokes
// the whole grant), short access tokens for one resource server (JWT or opaque), public and
// confidential clients, RFC 7009 revocation and RFC 7662 introspection.
//
// Next to it, on a second port, a resource server ("the API") that checks access tokens the way an
// API behind such a provider does: a JWT against the provider's JWKS (jose), an opaque token through
// introspection; it answers 401 with `WWW-Authenticate: Bearer error="invalid_token"`.
//
// Every token the provider issues goes to the token scan. Logs and counters are plain fields, for
// assertions only: they hold token strings, so compare them with `===`, never print them.
import { createServer } from 'node:http';
import { randomBytes, createHash } from 'node:crypto';
import { Provider, errors } from 'oidc-provider';
import { generateKeyPair, exportJWK, jwtVerify, createRemoteJWKSet } from 'jose';
import { tokenScan } from '../../support/token-scan.mjs';

const REDIRECT_URI = 'http://127.0.0.1/callback'; // never opened: the login helper stops at it
const API_SCOPE = 'api:read';
export const LOGIN_SCOPE = `openid offline_access ${API_SCOPE}`;

/** Node's fetch, with an AbortSignal timeout, for the helpers' own calls. */
const call = (url, init = {}) => fetch(url, { signal: AbortSignal.timeout(10000), ...init });

/** A plain node:http server on 127.0.0.1 that can be closed with its open sockets. */
async function listen(handler) {
  const server = createServer(handler);
  const sockets = new Set();
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    url: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * Starts the provider and the API.
 * @param {{ accessTokenFormat?: 'jwt' | 'opaque', accessTtl?: number,
 *   configure?: (configuration: object) => void }} [options]
 *   accessTtl: seconds an access token lives (changeable later with setAccessTtl).
 *   configure: changes the provider's configuration in place before the provider starts (the
 *   DPoP setup in oidc-dpop.mjs uses it).
 */
export async function startOidc({ accessTokenFormat = 'jwt', accessTtl = 300, configure } = {}) {
  const st = {
    accessTtl,
    lose: null, // { mode: 'reset' | 'delay', left, delayMs }: answers of refresh grants to lose
    timers: new Set(),
    closed: false,
  };
  const sleep = (ms) => new Promise((resolve) => {
    const id = setTimeout(() => { st.timers.delete(entry); resolve(); }, ms);
    const entry = { id, resolve };
    st.timers.add(entry);
  });

  // The provider's port first: the issuer URL names it.
  const host = await listen();
  const issuer = host.url;
  const resource = `${issuer}/resource/api`; // the resource indicator (and JWT audience) of the API

  const secret = () => randomBytes(24).toString('base64url');
  const clients = {
    public: { clientId: 'spa-public', clientAuth: 'none' },
    basic: { clientId: 'app-basic', clientSecret: secret(), clientAuth: 'client_secret_basic' },
    post: { clientId: 'app-post', clientSecret: secret(), clientAuth: 'client_secret_post' },
  };
  const resourceServer = { clientId: 'api-introspection', clientSecret: secret() };
  for (const c of [...Object.values(clients), resourceServer]) tokenScan.issued(c.clientSecret);

  const rsa = await generateKeyPair('RS256', { extractable: true }); // id tokens
  const ec = await generateKeyPair('ES256', { extractable: true }); // JWT access tokens
  const jwks = {
    keys: [
      { ...(await exportJWK(rsa.privateKey)), kid: 'rs-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.privateKey)), kid: 'es-1', alg: 'ES256', use: 'sig' },
    ],
  };

  const api = {
    issuer,
    resource,
    clients,
    tokenEndpoint: `${issuer}/token`,
    revocationEndpoint: `${issuer}/token/revocation`,
    introspectionEndpoint: `${issuer}/token/introspection`,
    /** Every token endpoint call: { grantType, status, error, contentType, accept, basic (client
     *  id from an Authorization: Basic header, or null), form (the parsed body), dpop (the DPoP
     *  proof header, or null), dpopNonce (the DPoP-Nonce answered, or null), at }. */
    tokenLog: [],
    /** Every revocation endpoint call: { status, error, tokenTypeHint, basic, form, dpop, at }. */
    revocationLog: [],
    /** Grants the provider revoked (grant.revoked events): a reused refresh token or a revocation. */
    grantsRevoked: 0,
    /** Every token response the provider produced, in order: { grantType, clientId, accessToken,
     *  refreshToken, expiresIn, at } (also those whose answer was lost on purpose). */
    issued: [],
  };

  const configuration = {
    clients: [
      ...Object.values(clients).map((c) => ({
        client_id: c.clientId,
        ...(c.clientSecret ? { client_secret: c.clientSecret } : {}),
        token_endpoint_auth_method: c.clientAuth,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
      })),
      {
        client_id: resourceServer.clientId,
        client_secret: resourceServer.clientSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [],
        grant_types: [],
        response_types: [],
      },
    ],
    jwks,
    cookies: { keys: [secret()] },
    scopes: ['openid', 'offline_access'],
    pkce: { required: () => true },
    rotateRefreshToken: true,
    // Refresh tokens for every client allowed the grant that asked for offline_access.
    issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    ttl: {
      AccessToken: () => st.accessTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Grant: 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
    },
    features: {
      devInteractions: { enabled: true },
      revocation: {
        enabled: true,
        allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        allowedPolicy: async (ctx, client) => client.clientId === resourceServer.clientId,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (ctx, indicator) => {
          if (indicator !== resource) throw new errors.InvalidTarget();
          return {
            scope: API_SCOPE,
            audience: resource,
            accessTokenTTL: st.accessTtl,
            accessTokenFormat,
            ...(accessTokenFormat === 'jwt' ? { jwt: { sign: { alg: 'ES256' } } } : {}),
          };
        },
      },
    },
  };

  configure?.(configuration);
  const provider = new Provider(issuer, configuration);
  provider.on('grant.revoked', () => { api.grantsRevoked++; });

  // Observes every token and revocation call at the HTTP level, feeds issued tokens to the token
  // scan, and loses answers of refresh grants on request (after the provider rotated).
  provider.use(async (ctx, next) => {
    const route = ctx.path === '/token' ? 'token' : ctx.path === '/token/revocation' ? 'revocation' : null;
    const basic = /^Basic (.+)$/i.exec(ctx.get('authorization') || '');
    let basicId = null;
    if (basic) {
      try { basicId = decodeURIComponent(Buffer.from(basic[1], 'base64').toString('utf8').split(':')[0]); } catch {}
    }
    const contentType = ctx.get('content-type') || null;
    const accept = ctx.get('accept') || null;
    const dpop = ctx.get('dpop') || null;
    await next();
    if (!route) return;
    const form = { ...(ctx.oidc?.body || {}) };
    const body = ctx.body && typeof ctx.body === 'object' ? ctx.body : {};
    if (route === 'revocation') {
      api.revocationLog.push({ status: ctx.status, error: body.error ?? null, tokenTypeHint: form.token_type_hint ?? null, basic: basicId, form, contentType, dpop, at: Date.now() });
      return;
    }
    const grantType = form.grant_type ?? null;
    const dpopNonce = ctx.response.get('dpop-nonce') || null;
    api.tokenLog.push({ grantType, status: ctx.status, error: body.error ?? null, contentType, accept, basic: basicId, form, dpop, dpopNonce, at: Date.now() });
    if (ctx.status === 200 && body.access_token) {
      for (const t of [body.access_token, body.refresh_token, body.id_token]) tokenScan.issued(t);
      api.issued.push({ grantType, clientId: ctx.oidc?.client?.clientId ?? null, accessToken: body.access_token, refreshToken: body.refresh_token ?? null, expiresIn: body.expires_in, at: Date.now() });
      if (grantType === 'refresh_token' && st.lose && st.lose.left > 0) {
        st.lose.left--;
        if (st.lose.mode === 'reset') {
          ctx.respond = false; // the provider rotated; the client never hears of it
          ctx.req.socket.destroy();
        } else {
          await sleep(st.lose.delayMs); // the client gave up meanwhile
        }
      }
    }
  });
  host.server.on('request', provider.callback());

  // ---- the API (resource server) on its own port ----
  const jwksSet = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  const introspectAuth = 'Basic ' + Buffer.from(`${encodeURIComponent(resourceServer.clientId)}:${encodeURIComponent(resourceServer.clientSecret)}`).toString('base64');

  /** 'none' | 'valid' | 'invalid', with the subject. */
  async function checkAccess(header) {
    const m = /^Bearer ([^\s]+)$/.exec(header || '');
    if (!m) return { state: header ? 'invalid' : 'none' };
    if (accessTokenFormat === 'jwt') {
      try {
        const { payload } = await jwtVerify(m[1], jwksSet, { issuer, audience: resource, typ: 'at+jwt', clockTolerance: 0 });
        return { state: 'valid', sub: payload.sub };
      } catch {
        return { state: 'invalid' };
      }
    }
    const res = await call(api.introspectionEndpoint, {
      method: 'POST',
      headers: { authorization: introspectAuth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token: m[1], token_type_hint: 'access_token' }),
    });
    const info = await res.json().catch(() => ({}));
    return info.active === true && info.aud === resource ? { state: 'valid', sub: info.sub } : { state: 'invalid' };
  }

  const resourceApi = await listen(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    const auth = req.headers.authorization ?? null;
    const entry = { path: url.pathname, auth, status: 0, at: Date.now() };
    api.apiLog.push(entry);
    const answer = (status, value, headers = {}) => {
      entry.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    const rejectToken = () => answer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token", error_description="the access token is not valid"' });
    if (url.pathname === '/api/always401') {
      // Refuses every token, valid or not (a broken endpoint, a wrong audience check).
      return answer(401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    const { state, sub } = await checkAccess(auth);
    entry.tokenState = state;
    if (state !== 'valid') return rejectToken();
    if (url.pathname === '/api/scope') {
      // A valid token that lacks a scope this endpoint needs: ?status=401 or 403 (the default).
      const status = Number(url.searchParams.get('status')) || 403;
      return answer(status, { error: 'insufficient_scope' }, { 'www-authenticate': 'Bearer error="insufficient_scope", scope="api:admin"' });
    }
    return answer(200, { sub, path: url.pathname });
  });
  api.apiUrl = resourceApi.url;
  /** Every API request: { path, auth (the Authorization header), status, tokenState, at }. */
  api.apiLog = [];

  /** The body and headers of a client's authenticated form POST (token, revocation). */
  function clientForm(client, params, { clientSecret = client.clientSecret, clientId = client.clientId } = {}) {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const form = new URLSearchParams(params);
    if (client.clientAuth === 'client_secret_basic') {
      headers.authorization = 'Basic ' + Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
    } else {
      form.set('client_id', clientId);
      if (client.clientAuth === 'client_secret_post') form.set('client_secret', clientSecret);
    }
    return { method: 'POST', headers, body: form };
  }

  Object.assign(api, {
    /** Seconds an access token lives, for tokens issued from now on. */
    setAccessTtl(seconds) { st.accessTtl = seconds; },

    /** The next `count` refresh grants rotate at the provider, then their answer is lost:
     *  'reset' destroys the connection, 'delay' answers after `delayMs` (after the client gave up). */
    loseRefreshAnswers(mode, count = 1, delayMs = 0) { st.lose = { mode, left: count, delayMs }; },

    /** Token endpoint calls of one grant type (and client id, when given). */
    tokenCalls(grantType = 'refresh_token', clientId) {
      return api.tokenLog.filter((e) => e.grantType === grantType && (clientId === undefined || (e.basic ?? e.form.client_id) === clientId));
    },

    /** The newest token response for `clientId` (any grant). */
    newest(clientId) { return api.issued.filter((i) => i.clientId === clientId).at(-1); },

    /**
     * The first login, over HTTP as a browser would do it: authorization request with PKCE, the
     * devInteractions login and consent forms, the code exchange. Resolves with the token
     * response exactly as the provider sent it (snake_case JSON).
     */
    async login(clientName = 'public', options = {}) {
      const { code, codeVerifier } = await api.authorizationCode(clientName, options);
      return exchange(clients[clientName], code, codeVerifier);
    },

    /**
     * The login up to the redirect back with the code (what login() does before the code
     * exchange): resolves with { code, codeVerifier, redirectUri, resource } for the app's own
     * token request. `params` are added to the authorization request (e.g. dpop_jkt).
     */
    async authorizationCode(clientName = 'public', { user = 'user-1', scope = LOGIN_SCOPE, params = {} } = {}) {
      const client = clients[clientName];
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const state = randomBytes(8).toString('hex');
      const jar = new Map();
      const browse = async (url, init = {}) => {
        const headers = { ...(init.headers || {}) };
        if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
        const res = await call(url, { ...init, headers, redirect: 'manual' });
        for (const line of res.headers.getSetCookie()) {
          const [pair, ...attrs] = line.split(';');
          const eq = pair.indexOf('=');
          const name = pair.slice(0, eq).trim();
          const value = pair.slice(eq + 1).trim();
          const gone = attrs.some((a) => /^\s*expires=thu, 01 jan 1970/i.test(a) || /^\s*max-age=0\s*$/i.test(a));
          if (gone || value === '') jar.delete(name);
          else jar.set(name, value);
        }
        return res;
      };
      const authorize = new URL(`${issuer}/auth`);
      for (const [k, v] of Object.entries({
        client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope, state,
        code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent', resource, ...params,
      })) authorize.searchParams.set(k, v);

      let next = authorize.href;
      for (let step = 0; step < 12; step++) {
        const res = await browse(next);
        if (res.status >= 300 && res.status < 400) {
          await res.arrayBuffer();
          const location = new URL(res.headers.get('location'), next);
          if (location.href.startsWith(REDIRECT_URI)) {
            const error = location.searchParams.get('error');
            if (error) throw new Error(`login: the provider answered ${error}: ${location.searchParams.get('error_description')}`);
            if (location.searchParams.get('state') !== state) throw new Error('login: state mismatch');
            return { code: location.searchParams.get('code'), codeVerifier: verifier, redirectUri: REDIRECT_URI, resource };
          }
          next = location.href;
          continue;
        }
        const html = await res.text();
        if (res.status !== 200) throw new Error(`login: ${next} answered ${res.status}`);
        const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
        const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
        if (!action || !prompt) throw new Error('login: no interaction form on the page');
        const fields = prompt === 'login' ? { prompt, login: user, password: 'any' } : { prompt };
        const posted = await browse(new URL(action.replace(/&amp;/g, '&'), next).href, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(fields).toString(),
        });
        await posted.arrayBuffer();
        if (posted.status < 300 || posted.status >= 400) throw new Error(`login: the ${prompt} form answered ${posted.status}`);
        next = new URL(posted.headers.get('location'), next).href;
      }
      throw new Error('login: too many redirects');
    },

    /** A refresh grant sent by the test itself: { status, body }. */
    async refreshDirect(refreshToken, clientName = 'public') {
      const res = await call(api.tokenEndpoint, clientForm(clients[clientName], { grant_type: 'refresh_token', refresh_token: refreshToken }));
      return { status: res.status, body: await res.json().catch(() => null) };
    },

    /** The provider forgets this (opaque) access token and nothing else: the API's introspection
     *  now says inactive while the grant and its refresh token live on (a revocation at the
     *  revocation endpoint would revoke every token of the grant). */
    async dropAccessToken(token) {
      if (accessTokenFormat !== 'opaque') throw new Error('dropAccessToken: JWT access tokens are not stored; let them expire');
      const found = await provider.AccessToken.find(token);
      if (!found) throw new Error('dropAccessToken: no such access token');
      await found.destroy();
    },

    /** An RFC 7009 revocation sent by the test itself (as another tab or an admin would). */
    async revokeDirect(token, clientName = 'public', hint = 'refresh_token') {
      const res = await call(api.revocationEndpoint, clientForm(clients[clientName], { token, token_type_hint: hint }));
      await res.arrayBuffer();
      return res.status;
    },

    /** Whether the provider still accepts this refresh token, asked without using it up
     *  (introspection by the resource server's client). */
    async refreshTokenActive(refreshToken) {
      const res = await call(api.introspectionEndpoint, {
        method: 'POST',
        headers: { authorization: introspectAuth, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }),
      });
      const info = await res.json();
      return info.active === true;
    },

    /** The form body and headers a client would send (for direct calls in tests). */
    clientForm: (clientName, params, override) => clientForm(clients[clientName], params, override),

    async close() {
      st.closed = true;
      for (const { id, resolve } of st.timers) { clearTimeout(id); resolve(); }
      st.timers.clear();
      await Promise.all([host.close(), resourceApi.close()]);
    },
  });

  async function exchange(client, code, verifier) {
    const res = await call(api.tokenEndpoint, clientForm(client, {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, resource,
    }));
    const body = await res.json();
    if (res.status !== 200) throw new Error(`login: the code exchange answered ${res.status} ${body.error}`);
    return body;
  }

  return api;
}
