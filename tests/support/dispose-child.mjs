// Child process for client-lifecycle.test.mjs: a client whose refresh hangs (and with the auto
// refresh timer on) is disposed; this process must then exit on its own, promptly.
// argv[2]: JSON { base, tokens, path }. Prints one JSON line: what the held request settled with.
import { createAuthClient } from 'authlane';

const { base, tokens, path = '/api/held' } = JSON.parse(process.argv[2]);
const client = await createAuthClient({ baseUrl: base, refresh: { url: '/refresh' } });
await client.login(tokens);
client.startAutoRefresh();
const held = client.fetch(path).then((r) => r.status, (e) => e.code || e.name);
setTimeout(async () => {
  client.dispose();
  console.log(JSON.stringify({ held: await held }));
}, 200);
