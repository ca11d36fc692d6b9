// An app that verifies tokens with 'authlane/verify' (its module loaded by the import itself) and
// sends requests through createAuthClient (requests.js).
import { verifyJwt } from 'authlane/verify';
import { isAuthlaneError } from 'authlane';
import { requests } from './requests.js';

window.app = {
  requests,
  verify: (token, secret) => verifyJwt(token, { key: secret, algorithms: ['HS256'] })
    .then((claims) => claims.sub, (e) => (isAuthlaneError(e) ? e.code : String(e))),
};
window.ready = true;
