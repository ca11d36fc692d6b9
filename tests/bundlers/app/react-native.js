// A React Native app's use of authlane (Metro resolves 'authlane' through the react-native
// condition). Reads its input from globalThis.appInput and reports through globalThis.appOutput.
import { createAuthClient, decodeJwt, verifyJwt } from 'authlane';

const { base, tokens, n } = globalThis.appInput;
(async () => {
  const out = { decoded: decodeJwt('x.eyJuYW1lIjoiSm9zw6kifQ.x').name };
  const client = await createAuthClient({ baseUrl: base, refresh: { url: '/refresh' } });
  await client.login(tokens);
  out.statuses = await Promise.all(Array.from({ length: n }, (_, i) =>
    client.fetch('/api/rn/' + i).then((r) => r.status, (e) => (e && e.code) || String(e))));
  client.dispose();
  out.verify = await verifyJwt('x.y.z', { key: 'k', algorithms: ['HS256'] }).then(() => 'resolved', (e) => e.code);
  globalThis.appOutput(out);
})().catch((e) => globalThis.appOutput({ error: String((e && e.stack) || e) }));
