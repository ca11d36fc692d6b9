// The app, rendered on the server and hydrated in the browser: decodeJwt while rendering,
// useSession of the client that window.app.run creates in the browser. (createElement rather
// than JSX: Vite transforms JSX only with a React plugin, which this test does not need.)
import { createElement as h, useEffect, useState } from 'react';
import { decodeJwt } from 'authlane';
import { useSession } from 'authlane/react';
import { SAMPLE, run } from './scenario.js';

export function App() {
  const [client, setClient] = useState(null);
  const { authenticated, claims, refreshing } = useSession(client);
  useEffect(() => {
    window.app = { run: (input) => run(input, setClient) };
    window.ready = true;
  }, []);
  return h('main', null,
    h('p', { id: 'decoded' }, decodeJwt(SAMPLE).name),
    h('p', { id: 'session' }, (authenticated ? `signed in as ${claims.name}` : 'signed out') + (refreshing ? ', refreshing' : '')));
}
