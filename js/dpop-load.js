// js/dpop.js (DPoP's keys and signatures) for a client with `dpop`, loaded when one asks for it:
// a page that never turns DPoP on does not fetch it. The React Native build bundles
// dpop-load.rn.js instead (Metro has no dynamic import).
export const loadDpop = () => import('./dpop.js');
