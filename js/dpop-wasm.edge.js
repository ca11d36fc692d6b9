// Loads the core module with DPoP on edge runtimes, from a `.wasm?module` import the platform
// compiles ahead of time (see wasm.edge.js and dpop-wasm.js).
import compiled from '../wasm/authlane_dpop_bg.wasm?module';
import { bind } from './core.js';

/** The core with DPoP, ready. */
export const core = bind(new WebAssembly.Instance(compiled, {}).exports);
