// What every framework app does with authlane, in the browser and on the server (each app has a
// copy): a client logs in with the tokens given (the access token expired), sends n requests at
// once, and reports each one's status (one refresh call at the server for all of them), the name
// decodeJwt reads from the access token, and what verifyJwt says of a fresh token with the right
// key and with a wrong one.
import { createAuthClient, decodeJwt, verifyJwt, isAuthlaneError } from 'authlane';

/** A JWT whose payload is { "name": "José" } (not signed: decodeJwt does not validate). */
export const SAMPLE = 'x.eyJuYW1lIjoiSm9zw6kifQ.x';

const verdict = (token, key) => verifyJwt(token, { key, algorithms: ['HS256'] })
  .then((claims) => claims.sub, (e) => (isAuthlaneError(e) ? e.code : String(e)));

/**
 * @param {{ base: string, tokens: object, n: number, fresh: string, secret: string }} input
 * @param {(client) => void} [keep] given the client, which then stays logged in (useSession
 *   shows it); without it the client is disposed at the end.
 */
export async function run({ base, tokens, n, fresh, secret }, keep) {
  const client = await createAuthClient({ baseUrl: base, refresh: { url: '/refresh' } });
  if (keep) keep(client);
  await client.login(tokens);
  const statuses = await Promise.all(Array.from({ length: n }, (_, i) =>
    client.fetch('/api/f/' + i).then((r) => r.status, (e) => (e && e.code) || String(e))));
  if (!keep) client.dispose();
  return {
    statuses,
    name: decodeJwt(tokens.accessToken).name,
    verified: [await verdict(fresh, secret), await verdict(fresh, 'not the secret')],
  };
}
