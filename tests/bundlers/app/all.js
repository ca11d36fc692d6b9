// An app that imports everything it uses from 'authlane' (the client, decodeJwt, verifyJwt) and a
// subpath entry, 'authlane/redux'.
import { decodeJwt, verifyJwt, isAuthlaneError } from 'authlane';
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
};
window.ready = true;
