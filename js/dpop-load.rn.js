// React Native: js/dpop.js in the one bundle (no dynamic import there). See dpop-load.js.
import * as dpop from './dpop.js';

export const loadDpop = () => Promise.resolve(dpop);
