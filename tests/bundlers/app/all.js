// An app that imports everything it uses from 'authlane' (the client, decodeJwt, verifyJwt, a
// client with DPoP) and a subpath entry, 'authlane/redux'.
import { createAuthClient, decodeJwt, verifyJwt, isAuthlaneError } from 'authlane';
import { authReducer } from 'authlane/redux';
import { requests } from './requests.js';

// decodeJwt is synchronous right after import: no await, no ready promise.
window.decodedAtImport = decodeJwt('x.eyJuYW1lIjoiSm9zw6kifQ.x').name;

window.app = {
  requests,
  decode: (token) => decodeJwt(token),
  reducerState: () => authReducer(undefined, { type: '@@init' }),
  verify: (token, secret) => verifyJwt(token, { key: secret, algorithms: ['HS256'] })
    .then((claims) => claims.sub, (e) => (isAuthlaneError(e) ? e.code : String(e))),
  // A client with `dpop` (its module comes with it): the key's thumbprint, or what went wrong.
  dpopKey: (base) => createAuthClient({ baseUrl: base, refresh: { url: '/refresh' }, dpop: true }).then((c) => {
    const jkt = c.session().dpop?.jkt ?? null;
    c.dispose();
    return jkt;
  }, (e) => (isAuthlaneError(e) ? `${e.code}: ${e.message}` : String(e))),
};
window.ready = true;
