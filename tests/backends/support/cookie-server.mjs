// A small auth server that keeps the refresh token in an HttpOnly cookie (node:http, 127.0.0.1,
// random port), the setup most security guides recommend for web apps:
//   POST /login    { username, password } -> Set-Cookie: rt=...; HttpOnly; SameSite=Lax, { accessToken }
//   POST /refresh  reads the cookie, rotates it (reuse of a rotated one revokes the family),
//                  -> { accessToken } and a new cookie; 401 when the cookie is missing or invalid
//   POST /logout, POST /revoke  revoke the cookie's token and clear the cookie
//   GET  /api/...  checks the bearer token (HS256 JWT, jose); 401 with
//                  WWW-Authenticate: Bearer error="invalid_token"
// CORS with credentials (the request's Origin echoed, Allow-Credentials: true), so that a page on
// another port (same site, another origin) can call it with credentials: "include".
// Every token it issues goes to the token scan. Logs hold no token strings except `auth`.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { tokenScan } from '../../support/token-scan.mjs';

const COOKIE = 'rt';

function cors(req, res) {
  if (req.headers.origin) {
    res.setHeader('Access-Control-Allow-Origin', req.headers.origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
  }
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] || 'Authorization, Content-Type');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  res.setHeader('Access-Control-Expose-Headers', 'Date, WWW-Authenticate');
  res.setHeader('Access-Control-Max-Age', '0');
}

function cookieOf(req, name) {
  for (const part of (req.headers.cookie || '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(''));
  });
}

/** @param {{ accessTtl?: number, sameSite?: 'Lax' | 'Strict' | 'None' }} [options] */
export async function startCookieServer({ accessTtl = 300, sameSite = 'Lax' } = {}) {
  const secret = new TextEncoder().encode('cookie-server-' + randomBytes(16).toString('hex'));
  const st = { accessTtl, sockets: new Set(), deniedJti: new Set(), issuedJti: new Set() };
  const refreshTokens = new Map(); // token -> { family, sub, used }
  const revokedFamilies = new Set();

  const api = {
    url: '',
    loginCalls: 0,
    /** every POST /refresh: { withCookie, valid, status, origin, contentType, body, at } */
    refreshLog: [],
    /** every POST /logout or /revoke: { path, withCookie, at } */
    revokeLog: [],
    /** every /api request: { path, auth, status, at } */
    apiLog: [],
    reuseDetected: 0,
    /** every pair issued: { accessToken, refreshToken, at } (for assertions only) */
    issued: [],
  };

  async function accessToken(sub, ttl = st.accessTtl) {
    const iat = Math.floor(Date.now() / 1000);
    const jti = randomBytes(8).toString('hex');
    st.issuedJti.add(jti);
    const token = await new SignJWT({ sub })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(jti)
      .sign(secret);
    tokenScan.issued(token);
    return token;
  }

  function refreshCookie(sub, family = randomBytes(6).toString('hex')) {
    const token = randomBytes(24).toString('base64url');
    tokenScan.issued(token);
    refreshTokens.set(token, { family, sub, used: false });
    const secure = sameSite === 'None' ? '; Secure' : '';
    return { token, header: `${COOKIE}=${token}; HttpOnly; Path=/; Max-Age=86400; SameSite=${sameSite}${secure}` };
  }
  const clearCookie = `${COOKIE}=; HttpOnly; Path=/; Max-Age=0; SameSite=${sameSite}`;

  const json = (res, status, value, headers = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(value));
  };

  const server = createServer(async (req, res) => {
    cors(req, res);
    const url = new URL(req.url, 'http://x');
    if (req.method === 'OPTIONS') { res.writeHead(204); return res.end(); }
    const body = await readBody(req);

    if (url.pathname === '/login' && req.method === 'POST') {
      api.loginCalls++;
      let creds = {};
      try { creds = JSON.parse(body); } catch {}
      if (!creds.username || creds.password !== 'password') return json(res, 401, { error: 'bad credentials' });
      const ttl = Number(url.searchParams.get('ttl')) || st.accessTtl; // ?ttl=1: a short first token
      const cookie = refreshCookie(String(creds.username));
      const at = await accessToken(String(creds.username), ttl);
      api.issued.push({ accessToken: at, refreshToken: cookie.token, at: Date.now() });
      return json(res, 200, { accessToken: at }, { 'set-cookie': cookie.header });
    }

    if (url.pathname === '/refresh' && req.method === 'POST') {
      const token = cookieOf(req, COOKIE);
      const entry = { withCookie: token !== null, valid: false, status: 0, origin: req.headers.origin ?? null, contentType: req.headers['content-type'] ?? null, body, at: Date.now() };
      api.refreshLog.push(entry);
      const known = token !== null ? refreshTokens.get(token) : undefined;
      if (!known || revokedFamilies.has(known.family)) {
        entry.status = 401;
        return json(res, 401, { error: 'no valid session cookie' }, token !== null ? { 'set-cookie': clearCookie } : {});
      }
      if (known.used) {
        api.reuseDetected++;
        revokedFamilies.add(known.family);
        entry.status = 401;
        return json(res, 401, { error: 'refresh cookie reused: session revoked' }, { 'set-cookie': clearCookie });
      }
      known.used = true;
      entry.valid = true;
      entry.status = 200;
      const cookie = refreshCookie(known.sub, known.family);
      const at = await accessToken(known.sub);
      api.issued.push({ accessToken: at, refreshToken: cookie.token, at: Date.now() });
      return json(res, 200, { accessToken: at }, { 'set-cookie': cookie.header });
    }

    if ((url.pathname === '/logout' || url.pathname === '/revoke') && req.method === 'POST') {
      const token = cookieOf(req, COOKIE);
      api.revokeLog.push({ path: url.pathname, withCookie: token !== null, at: Date.now() });
      const known = token !== null ? refreshTokens.get(token) : undefined;
      if (known) revokedFamilies.add(known.family);
      return json(res, 200, { ok: true }, { 'set-cookie': clearCookie });
    }

    if (url.pathname.startsWith('/api/')) {
      const auth = req.headers.authorization ?? null;
      const entry = { path: url.pathname, auth, status: 0, at: Date.now() };
      api.apiLog.push(entry);
      const m = /^Bearer ([^\s]+)$/.exec(auth || '');
      let sub = null;
      if (m) {
        try {
          const { payload } = await jwtVerify(m[1], secret, { clockTolerance: 0 });
          if (!st.deniedJti.has(payload.jti)) sub = payload.sub;
        } catch {}
      }
      if (!sub) {
        entry.status = 401;
        return json(res, 401, { error: 'invalid_token' }, { 'www-authenticate': 'Bearer error="invalid_token"' });
      }
      entry.status = 200;
      return json(res, 200, { sub, path: url.pathname });
    }
    json(res, 404, { error: 'not found' });
  });
  server.on('connection', (s) => { st.sockets.add(s); s.on('close', () => st.sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${server.address().port}`;

  Object.assign(api, {
    setAccessTtl(seconds) { st.accessTtl = seconds; },
    /** The API rejects every access token issued so far (revoked server-side). */
    rejectAccessTokens() { for (const jti of st.issuedJti) st.deniedJti.add(jti); },
    /** Whether the server still accepts this refresh cookie value. */
    refreshTokenValid(token) {
      const e = refreshTokens.get(token);
      return !!e && !e.used && !revokedFamilies.has(e.family);
    },
    close: () => new Promise((resolve) => {
      for (const s of st.sockets) s.destroy();
      server.close(() => resolve());
    }),
  });
  return api;
}

/**
 * A fetch with a cookie jar, for Node (whose fetch keeps no cookies): like a browser, it sends
 * the jar's cookies only when the request's credentials mode is "include" (every request here is
 * cross-origin), and stores what Set-Cookie says. `calls` records each request's credentials
 * mode and whether cookies went out.
 */
export function cookieJarFetch(base = globalThis.fetch) {
  const jar = new Map(); // name -> value (one host: the cookie server)
  const calls = [];
  const jarFetch = async (input, init) => {
    const request = new Request(input, init);
    const include = request.credentials === 'include';
    const headers = new Headers(request.headers);
    if (include && jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    calls.push({ url: request.url, method: request.method, credentials: request.credentials, sentCookie: include && jar.size > 0 });
    const response = await base(new Request(request, { headers }));
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a))) jar.delete(name);
      else jar.set(name, value);
    }
    return response;
  };
  return { fetch: jarFetch, jar, calls };
}
