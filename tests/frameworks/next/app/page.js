// A server component (decodeJwt at render, on the server only) around a client component
// (rendered on the server, then hydrated).
import { decodeJwt } from 'authlane';
import Session from './session.js';
import { SAMPLE } from './scenario.js';

export default function Page() {
  return (
    <main>
      <p id="server-component">{decodeJwt(SAMPLE).name}</p>
      <Session />
    </main>
  );
}
