// An app that imports only createAuthClient (through requests.js): tree shaking must keep what
// loads the module.
import { requests } from './requests.js';

window.app = { requests };
window.ready = true;
