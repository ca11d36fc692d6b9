// A real HTTP auth server on 127.0.0.1 for the client tests (Node's `http` only, random port).
// Access tokens are HS256 JWTs signed with jose ({ sub, name: "Zoë", iat, exp, jti }); refresh tokens are opaque
// random strings, rotated (with reuse detection revoking the whole family) when rotation is on.
// Every failure the client must survive is a plain method; counters are plain fields.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, decodeJwt } from 'jose';
import { tokenScan } from './token-scan.mjs';

const REFRESH_FAIL_MODES = new Set([500, 502, 503, 429, 400, 401, 403, 'timeout', 'reset', 'garbage', 'empty']);

/** Sets CORS headers that let a page on any other origin call, read and preflight us. */
function cors(req, res) {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin || '*');
  res.setHeader('Vary', 'Origin');
  const asked = req.headers['access-control-request-headers'];
  res.setHeader('Access-Control-Allow-Headers', asked ? `Authorization, Content-Type, ${asked}` : 'Authorization, Content-Type');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS');
  res.setHeader('Access-Control-Expose-Headers', 'Date, Content-Type, X-Token-State');
  res.setHeader('Access-Control-Max-Age', '0');
}

/** The request body as a Buffer. */
function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(Buffer.alloc(0)));
  });
}

/**
 * @param {{ accessTtl?: number, rotation?: boolean, apiRejectStatus?: number,
 *   refreshShape?: 'default' | 'boilerplate', password?: string, secret?: string }} [options]
 *   refreshShape 'boilerplate' answers a refresh with { success: true, authToken } (no rotation).
 */
export async function startAuthServer(options = {}) {
  const secret = new TextEncoder().encode(options.secret || 'authlane-test-secret-' + randomBytes(8).toString('hex'));
  const st = {
    accessTtl: options.accessTtl ?? 300,
    rotation: options.rotation ?? true,
    rejectStatus: options.apiRejectStatus ?? 401,
    refreshShape: options.refreshShape ?? 'default',
    password: options.password ?? 'password',
    refreshDelay: 0,
    answerDelay: 0, // ms between minting a refresh's pair (the old refresh token spent) and answering
    clockOffset: 0,
    failMode: null,
    failLeft: 0,
    faults: null, // (callNumber) => a fail mode or null, for every refresh call
    issuedJti: new Set(),
    revokedJti: new Set(),
    refreshTokens: new Map(), // token -> { family, sub, used }
    revokedFamilies: new Set(),
    sockets: new Set(),
    pending: new Set(), // responses of 'timeout' refreshes, never answered
    closed: false,
  };
  /** A delay that close() cuts short, so no server timer keeps the test process alive. */
  const timers = new Map();
  const sleep = (ms) => new Promise((resolve) => {
    const id = setTimeout(() => { timers.delete(id); resolve(); }, ms);
    timers.set(id, resolve);
  });
  /** Server time in seconds, shifted by the simulated offset. */
  const serverNow = () => Date.now() / 1000 + st.clockOffset;

  /** `age`: seconds since issue, for tokens an app finds in storage when it starts again. */
  async function mint({ ttl = st.accessTtl, sub = 'user-1', family, age = 0 } = {}) {
    const iat = Math.floor(serverNow()) - age;
    const jti = randomBytes(8).toString('hex');
    st.issuedJti.add(jti);
    const accessToken = await new SignJWT({ sub, name: 'Zoë' }) // a UTF-8 claim
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(jti)
      .sign(secret);
    const refreshToken = 'rt_' + randomBytes(18).toString('base64url');
    st.refreshTokens.set(refreshToken, { family: family ?? randomBytes(6).toString('hex'), sub, used: false });
    api.issued.push({ accessToken, refreshToken, jti, iat, exp: iat + ttl, at: Date.now() });
    tokenScan.issued(accessToken);
    tokenScan.issued(refreshToken);
    return { accessToken, refreshToken };
  }

  /** 'none' | 'malformed' | 'bad-signature' | 'expired' | 'revoked' | 'valid', with the claims. */
  async function checkAccess(header) {
    const m = /^Bearer ([^\s]+)$/.exec(header || '');
    if (!header) return { state: 'none' };
    if (!m) return { state: 'malformed' };
    let claims;
    try { claims = decodeJwt(m[1]); } catch { return { state: 'malformed' }; }
    try {
      await jwtVerify(m[1], secret, { currentDate: new Date(serverNow() * 1000), clockTolerance: 0 });
    } catch (e) {
      return { state: e && e.code === 'ERR_JWT_EXPIRED' ? 'expired' : 'bad-signature', claims };
    }
    if (st.revokedJti.has(claims.jti)) return { state: 'revoked', claims };
    return { state: 'valid', claims };
  }

  function send(res, status, text, type = 'application/json', extra = {}) {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { 'Content-Type': type, Date: new Date(serverNow() * 1000).toUTCString(), ...extra });
    res.end(text);
  }
  const json = (res, status, value, extra) => send(res, status, JSON.stringify(value), 'application/json', extra);

  async function handleRefresh(req, res, body, log) {
    api.refreshCalls++;
    if (st.refreshDelay > 0) await sleep(st.refreshDelay);
    if (st.closed) return;
    let mode = null;
    if (st.faults) mode = st.faults(api.refreshCalls);
    else if (st.failMode !== null && st.failLeft > 0) {
      st.failLeft--;
      mode = st.failMode;
    }
    if (mode !== null) {
      if (mode === 'timeout') {
        st.pending.add(res);
        res.on('close', () => st.pending.delete(res));
        return; // never answered; close() destroys the socket
      }
      if (mode === 'reset') return req.socket.destroy();
      if (mode === 'garbage') return send(res, 200, '<html>this is not json</html>', 'text/html');
      if (mode === 'empty') return json(res, 200, {});
      return json(res, mode, { error: `refresh failing on purpose (${mode})` });
    }
    let token;
    try { token = JSON.parse(body).refreshToken; } catch {}
    const entry = typeof token === 'string' ? st.refreshTokens.get(token) : undefined;
    if (entry) log.refreshSub = entry.sub; // whose refresh token was presented
    if (!entry || entry.revoked || st.revokedFamilies.has(entry.family)) return json(res, 401, { error: 'invalid refresh token' });
    if (entry.used) {
      api.reuseDetected++;
      st.revokedFamilies.add(entry.family);
      return json(res, 401, { error: 'refresh token reused: family revoked' });
    }
    const rotate = st.rotation && st.refreshShape !== 'boilerplate'; // that shape never returns one
    if (rotate) entry.used = true;
    const minted = await mint({ family: entry.family, sub: entry.sub });
    if (!rotate) st.refreshTokens.delete(minted.refreshToken); // the old one stays the only one
    if (st.answerDelay > 0) await sleep(st.answerDelay);
    if (st.closed) return;
    if (st.refreshShape === 'boilerplate') return json(res, 200, { success: true, authToken: minted.accessToken });
    return json(res, 200, rotate
      ? { accessToken: minted.accessToken, refreshToken: minted.refreshToken }
      : { accessToken: minted.accessToken });
  }

  const server = createServer(async (req, res) => {
    cors(req, res);
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'OPTIONS') {
      api.preflights.push({ path: url.pathname, requestHeaders: req.headers['access-control-request-headers'] ?? null });
      res.writeHead(204);
      return res.end();
    }
    const raw = await readBody(req);
    const body = raw.toString('utf8');
    const entry = { path: url.pathname, url: url.pathname + url.search, method: req.method, auth: req.headers.authorization ?? null, body, bytes: raw.toString('base64'), headers: { ...req.headers }, at: Date.now() };
    api.log.push(entry);

    if (url.pathname === '/refresh' && req.method === 'POST') return handleRefresh(req, res, body, entry);
    if (url.pathname === '/revoke' && req.method === 'POST') { // RFC 7009 in JSON: this one token only
      let token;
      try { token = JSON.parse(body).refreshToken; } catch {}
      const known = typeof token === 'string' ? st.refreshTokens.get(token) : undefined;
      if (known) known.revoked = true;
      api.revoked.push(token);
      return json(res, 200, {});
    }
    if (url.pathname === '/login' && req.method === 'POST') {
      let creds = {};
      try { creds = JSON.parse(body); } catch {}
      if (!creds.username || creds.password !== st.password) return json(res, 401, { error: 'bad credentials' });
      return json(res, 200, await mint({ sub: String(creds.username) }));
    }
    if (url.pathname === '/api/redirect') {
      api.apiCalls++;
      if (url.searchParams.has('auth')) { // ?auth: redirects only a request with a valid token
        const { state } = await checkAccess(req.headers.authorization);
        if (state !== 'valid') return json(res, st.rejectStatus, { error: `access token ${state}` });
      }
      res.writeHead(Number(url.searchParams.get('status')) || 302, { Location: url.searchParams.get('to') || '/' }); // ?status=307
      return res.end();
    }
    if (url.pathname.startsWith('/api/')) {
      api.apiCalls++;
      const { state, claims } = await checkAccess(req.headers.authorization);
      entry.tokenState = state;
      const wait = Number(url.searchParams.get('delay') || 0); // ?delay=ms: a slow endpoint
      if (wait > 0) await sleep(wait);
      if (st.closed) return;
      if (state !== 'valid') return json(res, st.rejectStatus, { error: `access token ${state}` }, { 'X-Token-State': state });
      return json(res, 200, { path: url.pathname, method: req.method, sub: claims.sub, auth: req.headers.authorization, body }, { 'X-Token-State': state });
    }
    json(res, 404, { error: 'not found' });
  });
  server.on('connection', (socket) => {
    st.sockets.add(socket);
    socket.on('close', () => st.sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));

  const api = {
    url: `http://127.0.0.1:${server.address().port}`,
    refreshCalls: 0,
    apiCalls: 0,
    reuseDetected: 0,
    /** the tokens sent to /revoke, in order */
    revoked: [],
    /** every request received (not preflights): { path, url, method, auth, body, bytes (base64),
     *  headers, at, tokenState? ('none' | 'malformed' | 'bad-signature' | 'expired' | 'revoked' | 'valid') } */
    log: [],
    preflights: [],
    /** every token pair minted, in order (for assertions only); `at`: when, in ms. */
    issued: [],
    setAccessTtl(seconds) { st.accessTtl = seconds; },
    setRotation(on) { st.rotation = !!on; },
    setApiRejectStatus(status) { st.rejectStatus = status; },
    setRefreshShape(shape) { st.refreshShape = shape; },
    setRefreshDelay(ms) { st.refreshDelay = ms; },
    /** The refresh rotates at once and answers `ms` later (its answer still on the way). */
    setRefreshAnswerDelay(ms) { st.answerDelay = ms; },
    /** Seconds to add to the server's clock (iat, exp, the Date header, expiry checks). */
    setClockOffset(seconds) { st.clockOffset = seconds; },
    /** `pick(n)` decides every refresh call (n counts from 1): a failRefresh mode, or null to answer
     *  normally. Overrides failRefresh; null turns it off. */
    setRefreshFaults(pick) { st.faults = pick || null; },
    failRefresh(mode, count = Infinity) {
      if (mode === null || mode === undefined) { st.failMode = null; st.failLeft = 0; return; }
      if (!REFRESH_FAIL_MODES.has(mode)) throw new Error(`unknown failRefresh mode ${mode}`);
      st.failMode = mode;
      st.failLeft = count;
    },
    /** Mints a pair directly; a negative ttl gives an already expired access token. */
    issueTokens({ ttl, sub, age } = {}) { return mint({ ttl, sub, age }); },
    /** The server now rejects every access token issued so far (a server-side revocation). */
    expireAllAccessTokens() { for (const jti of st.issuedJti) st.revokedJti.add(jti); },
    /** Whether the server would still accept this refresh token. */
    refreshTokenValid(token) {
      const e = st.refreshTokens.get(token);
      return !!e && !e.used && !e.revoked && !st.revokedFamilies.has(e.family);
    },
    /** The refresh tokens the server would still accept, of the user `sub`. */
    liveRefreshTokens(sub) {
      return [...st.refreshTokens].filter(([token, e]) => e.sub === sub && api.refreshTokenValid(token)).map(([token]) => token);
    },
    apiLog(prefix = '/api/') { return api.log.filter((r) => r.path.startsWith(prefix)); },
    refreshLog() { return api.log.filter((r) => r.path === '/refresh'); },
    /** Zeroes the counters and logs and stops failRefresh (tokens and other switches stay). */
    reset() {
      api.refreshCalls = 0; api.apiCalls = 0; api.reuseDetected = 0;
      api.log = []; api.preflights = []; api.revoked = [];
      st.failMode = null; st.failLeft = 0;
    },
    close() {
      st.closed = true;
      for (const [id, resolve] of timers) { clearTimeout(id); resolve(); }
      timers.clear();
      return new Promise((resolve) => {
        for (const res of st.pending) res.destroy();
        for (const socket of st.sockets) socket.destroy();
        server.close(() => resolve());
        server.closeAllConnections?.();
      });
    },
  };
  return api;
}

/** "Another origin": answers 200 to everything (with CORS) and records every request's headers. */
export async function startEchoServer() {
  const sockets = new Set();
  const api = { url: '', seen: [], preflights: [] };
  const server = createServer((req, res) => {
    cors(req, res);
    if (req.method === 'OPTIONS') {
      api.preflights.push({ path: req.url, requestHeaders: req.headers['access-control-request-headers'] ?? null });
      res.writeHead(204);
      return res.end();
    }
    readBody(req).then((raw) => {
      api.seen.push({ path: req.url, method: req.method, headers: { ...req.headers }, body: raw.toString('utf8') });
      const status = Number(new URL(req.url, 'http://x').searchParams.get('status') || 200); // ?status=401
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ other: true, path: req.url }));
    });
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  api.url = `http://127.0.0.1:${server.address().port}`;
  /** True when no request (nor preflight) ever carried or asked for an Authorization header. */
  api.sawNoAuth = () =>
    api.seen.every((r) => r.headers.authorization === undefined) &&
    api.preflights.every((p) => !/authorization/i.test(p.requestHeaders || ''));
  api.close = () => new Promise((resolve) => {
    for (const s of sockets) s.destroy();
    server.close(() => resolve());
  });
  return api;
}
