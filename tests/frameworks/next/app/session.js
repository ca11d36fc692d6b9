'use client';
// A client component: decodeJwt while rendering (on the server too), useSession of the client
// that window.app.run creates in the browser.
import { useEffect, useState } from 'react';
import { decodeJwt } from 'authlane';
import { useSession } from 'authlane/react';
import { SAMPLE, run } from './scenario.js';

export default function Session() {
  const [client, setClient] = useState(null);
  const { authenticated, claims, refreshing } = useSession(client);
  useEffect(() => {
    window.app = { run: (input) => run(input, setClient) };
    window.ready = true;
  }, []);
  return (
    <div>
      <p id="client-component">{decodeJwt(SAMPLE).name}</p>
      <p id="session">{authenticated ? `signed in as ${claims.name}` : 'signed out'}{refreshing ? ', refreshing' : ''}</p>
    </div>
  );
}
