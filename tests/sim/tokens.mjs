// Tokens as real servers issue them: access tokens are JWTs (claims in base64url JSON, `iat` and
// `exp` in whole seconds), refresh tokens opaque strings. Each pair the server issues gets a
// number (`pair`, a claim of the access token and part of the refresh token), so the world can
// tell which pair any token belongs to. Every token string starts with `eyJ` or `rt_`, which no
// claim, message or action ever contains: a leak scan looks for those.

const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const HEADER = b64({ alg: 'HS256', typ: 'JWT' });

/** Token prefixes: any of these in an action, message or error is a token that leaked. */
export const TOKEN_MARKS = ['eyJ', 'rt_'];

/** True when `text` holds something that looks like one of our tokens. */
export const leaks = (text) => typeof text === 'string' && TOKEN_MARKS.some((m) => text.includes(m));

/** A token minter with `rand` as its source of signatures. */
export function minter(rand) {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const noise = (n) => {
    let s = '';
    for (let i = 0; i < n; i++) s += chars[rand.int(64)];
    return s;
  };
  return {
    /** An access token of pair `pair` in session (family) `sid`, issued at server ms `iatMs`. */
    access({ sid, pair, user, iatMs, ttlMs }) {
      const iat = Math.floor(iatMs / 1000);
      const exp = iat + Math.round(ttlMs / 1000);
      const claims = { sub: `user-${user}`, sid, pair, iat, exp };
      return { token: `${HEADER}.${b64(claims)}.${noise(22)}`, iat, exp, claims };
    },
    refresh: ({ sid, pair }) => `rt_${sid}_${pair}_${noise(12)}`,
  };
}

/** The claims of a JWT we issued (no check: the world only reads its own tokens). */
export function claimsOf(token) {
  const part = typeof token === 'string' ? token.split('.')[1] : undefined;
  if (!part) return null;
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString());
  } catch {
    return null;
  }
}

/** The pair number of a refresh token we issued. */
export function pairOfRefresh(token) {
  const m = /^rt_\d+_(\d+)_/.exec(token || '');
  return m ? Number(m[1]) : null;
}

/** A short name for a token in traces: A12 (access token of pair 12), R12. */
export function alias(token) {
  if (typeof token !== 'string') return token;
  if (token.startsWith('rt_')) return `R${pairOfRefresh(token)}`;
  const c = claimsOf(token);
  return c && c.pair !== undefined ? `A${c.pair}` : token;
}

/** `text` with every token in it replaced by its alias. */
export function redact(text) {
  if (typeof text !== 'string') return text;
  return text
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, (t) => alias(t))
    .replace(/rt_\d+_\d+_[\w-]+/g, (t) => alias(t));
}
