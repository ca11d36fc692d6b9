// An example auth API to read in five minutes and copy. Access tokens are short-lived JWTs
// (15 s, so expiry shows within a minute); refresh tokens are opaque, rotate on every use, and a
// refresh token used twice revokes its whole family (someone stole it). Logout revokes too.
import jwt from 'jsonwebtoken';
import { randomBytes } from 'node:crypto';

const SECRET = process.env.DEMO_JWT_SECRET || randomBytes(32).toString('hex');
const USERS = { demo: { password: 'demo', name: 'Zoë Demo' } };

export function createAuthApi({ accessTtl = 15 } = {}) {
  const refreshTokens = new Map(); // token -> { user, family, used }
  const revokedFamilies = new Set();
  const issuedAccess = new Set(); // jti
  const revokedAccess = new Set(); // jti
  const stats = { logins: 0, refreshCalls: 0, refreshOk: 0, reuseDetected: 0, apiOk: 0, apiRejected: 0 };
  // Demo switches: how the refresh endpoint behaves next.
  const switches = { refresh: 'ok', refreshDelayMs: 300 };

  function issue(user, family = randomBytes(6).toString('hex')) {
    const jti = randomBytes(8).toString('hex');
    issuedAccess.add(jti);
    const accessToken = jwt.sign({ sub: user, name: USERS[user].name, jti }, SECRET, { expiresIn: accessTtl });
    const refreshToken = randomBytes(24).toString('base64url');
    refreshTokens.set(refreshToken, { user, family, used: false });
    return { accessToken, refreshToken };
  }

  function verifyAccess(header) {
    const token = /^Bearer (.+)$/.exec(header || '')?.[1];
    try {
      const claims = jwt.verify(token, SECRET);
      return revokedAccess.has(claims.jti) ? null : claims;
    } catch {
      return null;
    }
  }

  const routes = {
    'POST /auth/login': ({ body }) => {
      const user = USERS[body.username];
      if (!user || user.password !== body.password) return [401, { error: 'wrong username or password' }];
      stats.logins++;
      return [200, issue(body.username)];
    },

    'POST /auth/refresh': async ({ body }) => {
      stats.refreshCalls++;
      await new Promise((r) => setTimeout(r, switches.refresh === 'slow' ? 3000 : switches.refreshDelayMs));
      if (switches.refresh === 'fail-transient') return [503, { error: 'refresh is down for a moment' }];
      if (switches.refresh === 'fail-definitive') return [401, { error: 'refresh token revoked' }];
      const entry = refreshTokens.get(body.refreshToken);
      if (!entry || revokedFamilies.has(entry.family)) return [401, { error: 'invalid refresh token' }];
      if (entry.used) {
        stats.reuseDetected++;
        revokedFamilies.add(entry.family);
        return [401, { error: 'refresh token reused: the session is revoked' }];
      }
      entry.used = true;
      stats.refreshOk++;
      return [200, issue(entry.user, entry.family)];
    },

    'POST /auth/logout': ({ body }) => {
      const entry = refreshTokens.get(body.refreshToken);
      if (entry) revokedFamilies.add(entry.family);
      return [204, null];
    },

    'GET /api/items': async ({ headers, query }) => {
      const claims = verifyAccess(headers.authorization);
      if (!claims) {
        stats.apiRejected++;
        return [401, { error: 'access token missing, expired or revoked' }];
      }
      stats.apiOk++;
      await new Promise((r) => setTimeout(r, 150 + Math.random() * 250));
      return [200, { item: Number(query.get('n')) || 0, for: claims.name }];
    },

    // Demo controls: flip the refresh endpoint's behaviour, revoke every access token now.
    'POST /demo/switches': ({ body }) => {
      if (['ok', 'slow', 'fail-transient', 'fail-definitive'].includes(body.refresh)) switches.refresh = body.refresh;
      return [200, switches];
    },
    'POST /demo/expire': () => {
      for (const jti of issuedAccess) revokedAccess.add(jti);
      return [200, { revoked: revokedAccess.size }];
    },
    'GET /demo/stats': () => [200, stats],
    'POST /demo/reset': () => {
      Object.keys(stats).forEach((k) => (stats[k] = 0));
      switches.refresh = 'ok';
      return [200, stats];
    },
  };

  return { routes, stats, switches, issue };
}
