// What both app shapes do with a client: log in with the given tokens, send n requests at once,
// report each one's status (or error code).
import { createAuthClient } from 'authlane';

export async function requests({ base, tokens, n }) {
  const client = await createAuthClient({ baseUrl: base, refresh: { url: '/refresh' } });
  await client.login(tokens);
  const statuses = await Promise.all(Array.from({ length: n }, (_, i) =>
    client.fetch('/api/b/' + i).then((r) => r.status, (e) => (e && e.code) || String(e))));
  client.dispose();
  return statuses;
}
