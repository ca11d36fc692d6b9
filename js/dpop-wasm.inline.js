// Loads the core module with DPoP from bytes inlined in the JavaScript (see dpop-wasm.js and
// wasm.inline.js): its base64 sits in its own module, imported only for a client with `dpop`.
import base64 from './authlane_dpop_bg.wasm.js';
import { bytes } from './wasm-bytes.js';
import { bind } from './core.js';

/** The core with DPoP, ready. */
export const core = bind(new WebAssembly.Instance(new WebAssembly.Module(bytes(base64)), {}).exports);
