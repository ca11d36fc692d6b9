// A real auth API on 127.0.0.1 for the tests: HS256 JWT access tokens (jose), opaque rotating
// refresh tokens with reuse detection, a protected /api, CORS, and switches for every failure
// the client must survive. Controls are plain methods; counters are plain fields.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { tokenScan } from './token-scan.mjs';

const secret = new TextEncoder().encode('authlane-test-secret');

export async function startAuthServer() {
  const s = {
    accessTtl: 300, rotation: true, rejectStatus: 401, refreshDelay: 0, clockOffset: 0,
    refreshShape: 'default', failMode: null, failCount: 0,
    issued: new Set(), revoked: new Set(), // access token jti
    families: new Map(), // refresh token -> { family, used }
    revokedFamilies: new Set(),
    sockets: new Set(),
  };
  const serverNow = () => Date.now() / 1000 + s.clockOffset;

  async function mint({ ttl = s.accessTtl, family } = {}) {
    const iat = Math.floor(serverNow());
    const jti = randomBytes(6).toString('hex');
    s.issued.add(jti);
    const accessToken = await new SignJWT({ sub: 'user-1', name: 'Zoë' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat).setExpirationTime(iat + ttl).setJti(jti)
      .sign(secret);
    const refreshToken = 'rt_' + randomBytes(12).toString('base64url');
    s.families.set(refreshToken, { family: family || randomBytes(4).toString('hex'), used: false });
    tokenScan.issued(accessToken);
    tokenScan.issued(refreshToken);
    return { accessToken, refreshToken };
  }

  async function validAccess(header) {
    const token = /^Bearer (.+)$/.exec(header || '')?.[1];
    if (!token) return null;
    try {
      const { payload } = await jwtVerify(token, secret, { currentDate: new Date(serverNow() * 1000) });
      return s.revoked.has(payload.jti) ? null : payload;
    } catch {
      return null;
    }
  }

  const api = {
    url: '', refreshCalls: 0, apiCalls: 0, reuseDetected: 0, log: [],
    setAccessTtl: (sec) => void (s.accessTtl = sec),
    setRotation: (on) => void (s.rotation = on),
    setApiRejectStatus: (status) => void (s.rejectStatus = status),
    setRefreshDelay: (ms) => void (s.refreshDelay = ms),
    setClockOffset: (sec) => void (s.clockOffset = sec),
    /** 'default' answers { accessToken, refreshToken }; 'boilerplate' answers { success, authToken }. */
    setRefreshShape: (shape) => void (s.refreshShape = shape),
    failRefresh(mode, count = Infinity) { s.failMode = mode; s.failCount = count; },
    issueTokens: (opts) => mint(opts),
    /** The server rejects every access token issued so far (a server-side revoke). */
    expireAllAccessTokens() { for (const jti of s.issued) s.revoked.add(jti); },
    reset() { api.refreshCalls = 0; api.apiCalls = 0; api.reuseDetected = 0; api.log = []; s.failMode = null; },
    close: () => new Promise((resolve) => { for (const so of s.sockets) so.destroy(); server.close(() => resolve()); }),
  };

  async function refresh(req, res, body) {
    api.refreshCalls++;
    if (s.refreshDelay) await new Promise((r) => setTimeout(r, s.refreshDelay));
    if (s.failMode !== null && s.failCount > 0) {
      s.failCount--;
      const mode = s.failMode;
      if (mode === 'timeout') return; // never answers; close() destroys the socket
      if (mode === 'reset') return req.socket.destroy();
      if (mode === 'garbage') return send(res, 200, 'this is not json', 'text/plain');
      if (mode === 'empty') return send(res, 200, '{}');
      return send(res, mode, JSON.stringify({ error: 'refresh failed on purpose' }));
    }
    let token;
    try { token = JSON.parse(body).refreshToken; } catch {}
    const entry = s.families.get(token);
    if (!entry || s.revokedFamilies.has(entry.family)) return send(res, 401, '{"error":"invalid refresh token"}');
    if (entry.used) {
      api.reuseDetected++;
      s.revokedFamilies.add(entry.family);
      return send(res, 401, '{"error":"refresh token reused; family revoked"}');
    }
    if (s.rotation) entry.used = true;
    const minted = await mint({ family: entry.family });
    if (!s.rotation) s.families.delete(minted.refreshToken);
    const out = s.refreshShape === 'boilerplate'
      ? { success: true, authToken: minted.accessToken }
      : { accessToken: minted.accessToken, ...(s.rotation ? { refreshToken: minted.refreshToken } : {}) };
    send(res, 200, JSON.stringify(out));
  }

  function send(res, status, text, type = 'application/json') {
    res.writeHead(status, { 'content-type': type, date: new Date(serverNow() * 1000).toUTCString() });
    res.end(text);
  }

  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, 'http://x');
      res.setHeader('access-control-allow-origin', req.headers.origin || '*');
      res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] || 'authorization, content-type');
      res.setHeader('access-control-allow-methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
      res.setHeader('access-control-expose-headers', 'date');
      if (req.method === 'OPTIONS') return res.writeHead(204).end();
      api.log.push({ path: url.pathname, method: req.method, auth: req.headers.authorization ?? null, body, headers: { ...req.headers } });
      if (url.pathname === '/refresh' && req.method === 'POST') return refresh(req, res, body);
      if (url.pathname === '/login' && req.method === 'POST') return send(res, 200, JSON.stringify(await mint()));
      if (url.pathname === '/api/redirect') {
        res.writeHead(302, { location: url.searchParams.get('to') });
        return res.end();
      }
      if (url.pathname.startsWith('/api/')) {
        api.apiCalls++;
        const claims = await validAccess(req.headers.authorization);
        if (!claims) return send(res, s.rejectStatus, '{"error":"access token rejected"}');
        return send(res, 200, JSON.stringify({ path: url.pathname, method: req.method, sub: claims.sub, auth: req.headers.authorization, body }));
      }
      send(res, 404, '{"error":"not found"}');
    });
  });
  server.on('connection', (socket) => { s.sockets.add(socket); socket.on('close', () => s.sockets.delete(socket)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${server.address().port}`;
  return api;
}

/** Another origin that records every request's headers (the token must never reach it). */
export async function startEchoServer() {
  const seen = [];
  const server = createServer((req, res) => {
    seen.push({ path: req.url, headers: { ...req.headers } });
    res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' });
    res.end('{"other":true}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, seen, close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }) };
}
